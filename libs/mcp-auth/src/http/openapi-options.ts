/**
 * Whether the module's routes appear in the host's OpenAPI (Swagger) document, read from the
 * module options' `openApi` member. The library never loads `@nestjs/swagger`: it only writes
 * the metadata that `SwaggerModule.createDocument()` reads, when the host builds a document.
 */
export interface OpenApiOptions {
  /**
   * List the module's endpoints in the host's document, each with its real methods, a summary
   * and the shape of its requests and responses. Default false: a host's document describes
   * the host's API, and OAuth clients find these endpoints through the metadata documents.
   */
  include?: boolean;
  /** Tag of the module's operations. Default 'OAuth'. */
  tag?: string;
}

/** `openApi` after defaults. */
export type ResolvedOpenApiOptions = Readonly<Required<OpenApiOptions>>;

export const DEFAULT_OPENAPI_TAG = 'OAuth';

/** Problems with an `openApi` option, worded like the module's other option errors. */
export function validateOpenApiOptions(options: OpenApiOptions | undefined): string[] {
  if (options === undefined) return [];
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    return ['openApi must be an object such as { include: true }'];
  }
  const problems: string[] = [];
  if (options.include !== undefined && typeof options.include !== 'boolean') {
    problems.push('openApi.include must be a boolean');
  }
  if (options.tag !== undefined && (typeof options.tag !== 'string' || !options.tag.trim())) {
    problems.push('openApi.tag must be a non-empty string');
  }
  return problems;
}

/**
 * Applies the defaults. @throws Error naming every problem, prefixed with `what` (the options
 * being read, e.g. "McpAuthModule options").
 */
export function resolveOpenApiOptions(
  options: OpenApiOptions | undefined,
  what = 'McpAuthModule options',
): ResolvedOpenApiOptions {
  const problems = validateOpenApiOptions(options);
  if (problems.length) {
    throw new Error(`Invalid ${what}:\n  - ${problems.join('\n  - ')}`);
  }
  return { include: options?.include ?? false, tag: options?.tag ?? DEFAULT_OPENAPI_TAG };
}
