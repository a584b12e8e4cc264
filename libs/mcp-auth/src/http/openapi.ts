import { RequestMethod, type Type } from '@nestjs/common';
import type { ResolvedOpenApiOptions } from './openapi-options';

/**
 * Metadata keys `SwaggerModule.createDocument()` reads (`DECORATORS` in `@nestjs/swagger`'s
 * constants). Written by hand: `@nestjs/swagger` is the host's choice, not a dependency of the
 * library, and importing it even optionally would make it one. These keys and value shapes are
 * what its decorators (`@ApiExcludeController()`, `@ApiTags()`, `@ApiOperation()`, ...) write;
 * test/openapi.e2e-spec.ts checks them against the real `SwaggerModule`.
 */
const SWAGGER = {
  /** `@ApiExcludeController(disable)`: `[disable]` on the class. */
  excludeController: 'swagger/apiExcludeController',
  /** `@ApiExcludeEndpoint()`: `{ disable: true }` on the handler. */
  excludeEndpoint: 'swagger/apiExcludeEndpoint',
  /** `@ApiTags(...tags)`: the tags, on the class or the handler. */
  tags: 'swagger/apiUseTags',
  /** `@ApiOperation({ summary, description })`, on the handler. */
  operation: 'swagger/apiOperation',
  /** `@ApiResponse()`: `{ [status]: { description, schema } }`, on the handler. */
  responses: 'swagger/apiResponse',
  /** `@ApiBody()` / `@ApiParam()`: parameter objects (`in: 'body' | 'path'`), on the handler. */
  parameters: 'swagger/apiParameters',
  /** `@ApiConsumes(...types)`: request media types, on the handler. */
  consumes: 'swagger/apiConsumes',
  /** `@ApiProduces(...types)`: response media types, on the handler. */
  produces: 'swagger/apiProduces',
} as const;

/**
 * Where Nest's route decorators (`@Get()`, `@Post()`...) keep a handler's path and method.
 * Nest does not export these names from its public entry; they are what its router reads.
 */
const ROUTE_PATH = 'path';
const ROUTE_METHOD = 'method';

/** A JSON Schema object, as OpenAPI 3 writes it. */
export type OpenApiSchema = Readonly<Record<string, unknown>>;

export interface OpenApiResponseDoc {
  description: string;
  /** Body of the response; none for an empty body or a redirect. */
  schema?: OpenApiSchema;
}

/** How one handler is described in the host's OpenAPI document. */
export interface OpenApiOperationDoc {
  summary: string;
  description?: string;
  /** The request body: its media types and schema. */
  body?: { mediaTypes: readonly string[]; schema: OpenApiSchema; description?: string };
  /** Path parameters, by name (`:id` → `id`). */
  pathParameters?: Readonly<Record<string, string>>;
  /** Media types of the responses. Default application/json. */
  produces?: readonly string[];
  responses: Readonly<Record<number, OpenApiResponseDoc>>;
}

/** Handler name (the controller's method) → its description. */
export type OpenApiOperations = Readonly<Record<string, OpenApiOperationDoc>>;

/** Keeps one handler out of the document, as `@ApiExcludeEndpoint()` does. */
export function hideOperationFromOpenApi(handler: object): void {
  Reflect.defineMetadata(SWAGGER.excludeEndpoint, { disable: true }, handler);
}

/**
 * Keeps a controller out of the host's OpenAPI document, as `@ApiExcludeController()` does.
 * Written on each instance's controller subclass when it is created, so every instance starts
 * hidden and only an instance that opts in (`openApi.include`) shows up.
 */
export function hideFromOpenApi(controller: Type<unknown>): void {
  Reflect.defineMetadata(SWAGGER.excludeController, [true], controller);
}

/**
 * Lists one instance's controller subclass in the host's OpenAPI document: tagged (on the
 * subclass, so each instance keeps its own tag), with one operation per method a client uses.
 *
 * The 405 handlers of `AllowedMethods` are left out: they only refuse every other method.
 * CORS preflights (`@Options()`) too: the browser sends them, no client calls them.
 *
 * Per-handler metadata is written on the handler functions, which every instance's subclass
 * shares with the module's controller: it is the same for every instance and replaced, not
 * merged, so it is written any number of times to the same effect. Whether the controller
 * shows at all is decided per subclass (class metadata). Handlers `operations` does not name
 * still show, tagged, so the document never hides a route silently.
 */
export function showInOpenApi(
  controller: Type<unknown>,
  options: Pick<ResolvedOpenApiOptions, 'tag'>,
  operations: OpenApiOperations,
): void {
  Reflect.defineMetadata(SWAGGER.excludeController, [false], controller);
  Reflect.defineMetadata(SWAGGER.tags, [options.tag], controller);
  for (const [name, handler] of routeHandlers(controller)) {
    const method = Reflect.getMetadata(ROUTE_METHOD, handler) as RequestMethod | undefined;
    // 405 handlers (`AllowedMethods`) hide themselves; catch-alls and preflights here.
    if (method === RequestMethod.ALL || method === RequestMethod.OPTIONS) {
      Reflect.defineMetadata(SWAGGER.excludeEndpoint, { disable: true }, handler);
      continue;
    }
    const operation = operations[name];
    if (operation) describeOperation(handler, operation);
  }
}

/** The route handlers of a controller and its base classes, by method name (nearest first). */
function routeHandlers(controller: Type<unknown>): Map<string, object> {
  const handlers = new Map<string, object>();
  for (
    let prototype = controller.prototype as object | null;
    prototype && prototype !== Object.prototype;
    prototype = Object.getPrototypeOf(prototype) as object | null
  ) {
    for (const name of Object.getOwnPropertyNames(prototype)) {
      if (name === 'constructor' || handlers.has(name)) continue;
      const value = Object.getOwnPropertyDescriptor(prototype, name)?.value as unknown;
      if (typeof value === 'function' && Reflect.hasMetadata(ROUTE_PATH, value)) {
        handlers.set(name, value);
      }
    }
  }
  return handlers;
}

function describeOperation(handler: object, operation: OpenApiOperationDoc): void {
  Reflect.defineMetadata(
    SWAGGER.operation,
    {
      summary: operation.summary,
      ...(operation.description ? { description: operation.description } : {}),
    },
    handler,
  );
  const parameters: Record<string, unknown>[] = Object.entries(operation.pathParameters ?? {}).map(
    ([name, description]) => ({
      name,
      in: 'path',
      required: true,
      description,
      schema: { type: 'string' },
    }),
  );
  if (operation.body) {
    parameters.push({
      in: 'body',
      // What `@ApiBody()` defaults to: a primitive type makes Swagger take `schema` as written
      // instead of looking for a DTO class.
      type: String,
      required: true,
      ...(operation.body.description ? { description: operation.body.description } : {}),
      schema: operation.body.schema,
    });
    Reflect.defineMetadata(SWAGGER.consumes, [...operation.body.mediaTypes], handler);
  }
  if (parameters.length) Reflect.defineMetadata(SWAGGER.parameters, parameters, handler);
  if (operation.produces) {
    Reflect.defineMetadata(SWAGGER.produces, [...operation.produces], handler);
  }
  Reflect.defineMetadata(
    SWAGGER.responses,
    Object.fromEntries(
      Object.entries(operation.responses).map(([status, { description, schema }]) => [
        status,
        { description, ...(schema ? { schema } : {}) },
      ]),
    ),
    handler,
  );
}
