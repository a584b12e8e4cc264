import {
  All,
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  Param,
  Post,
  Query,
  Req,
} from '@nestjs/common';
import type { HttpRequest } from '../http/http-exchange';
import type { ClientSource } from '../storage/client-store.interface';
import {
  readChoice,
  readGrantId,
  readIdentifier,
  readLimit,
  readOptionalIdentifier,
  readQuery,
  readRevocationFilter,
  requireNoBody,
} from './administration-request';
import { AdministrationService } from './administration.service';
import { endpointNotFound } from './administration.guard';

type View = Record<string, unknown>;

const CLIENT_SOURCES: readonly ClientSource[] = ['dynamic', 'static', 'metadata_document'];

/**
 * The API's own path and up to eight segments under it, as parameters: wildcards are written
 * differently by each adapter's router (`*name` for Express, a trailing `*` for Fastify), and
 * a parameter is the one syntax both read alike.
 */
const UNKNOWN_PATHS = Array.from({ length: 9 }, (_, depth) =>
  Array.from({ length: depth }, (_unused, i) => `:s${i}`).join('/'),
);

/**
 * The administration API (JSON). Mounted at `<routePrefix>/admin` (the `administration.path`)
 * by the module's route binding, which also writes the guard's resource and scope on this
 * instance's subclass. Errors are RFC 6749-shaped: `invalid_request` (400) for a malformed
 * query, id or body, the same code with 404 for an unknown id.
 */
@Controller()
export class AdministrationController {
  constructor(private readonly administration: AdministrationService) {}

  @Get('clients')
  @Header('Cache-Control', 'no-store')
  listClients(@Query() query: unknown): Promise<View> {
    const q = readQuery(query, ['limit', 'cursor', 'source']);
    return this.administration.listClients({
      source: readChoice(q.source, 'source', CLIENT_SOURCES, undefined),
      limit: readLimit(q.limit),
      cursor: readOptionalIdentifier(q.cursor, 'cursor'),
    });
  }

  @Get('clients/:id')
  @Header('Cache-Control', 'no-store')
  getClient(@Param('id') id: string, @Query() query: unknown): Promise<View> {
    readQuery(query, []);
    return this.administration.getClient(readIdentifier(id, 'client id'));
  }

  @Delete('clients/:id')
  @HttpCode(204)
  @Header('Cache-Control', 'no-store')
  async deleteClient(
    @Param('id') id: string,
    @Query() query: unknown,
    @Body() body: unknown,
    @Req() request: HttpRequest,
  ): Promise<void> {
    readQuery(query, []);
    requireNoBody(body);
    await this.administration.deleteClient(
      readIdentifier(id, 'client id'),
      administratorOf(request),
    );
  }

  @Get('grants')
  @Header('Cache-Control', 'no-store')
  listGrants(@Query() query: unknown): Promise<View> {
    const q = readQuery(query, ['limit', 'cursor', 'subject', 'client_id', 'status']);
    return this.administration.listGrants({
      subject: readOptionalIdentifier(q.subject, 'subject'),
      clientId: readOptionalIdentifier(q.client_id, 'client_id'),
      status: readChoice(q.status, 'status', ['active', 'all'] as const, 'all'),
      limit: readLimit(q.limit),
      cursor: readOptionalIdentifier(q.cursor, 'cursor'),
    });
  }

  @Get('grants/:id')
  @Header('Cache-Control', 'no-store')
  getGrant(@Param('id') id: string, @Query() query: unknown): Promise<View> {
    readQuery(query, []);
    return this.administration.getGrant(readGrantId(id));
  }

  @Delete('grants/:id')
  @Header('Cache-Control', 'no-store')
  revokeGrant(
    @Param('id') id: string,
    @Query() query: unknown,
    @Body() body: unknown,
    @Req() request: HttpRequest,
  ): Promise<View> {
    readQuery(query, []);
    requireNoBody(body);
    return this.administration.revokeGrant(readGrantId(id), administratorOf(request));
  }

  @Post('grants/revoke')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  revokeGrants(
    @Query() query: unknown,
    @Body() body: unknown,
    @Req() request: HttpRequest,
  ): Promise<View> {
    readQuery(query, []);
    return this.administration.revokeGrantsWhere(
      readRevocationFilter(body),
      administratorOf(request),
    );
  }

  @Get('signing-keys')
  @Header('Cache-Control', 'no-store')
  listSigningKeys(@Query() query: unknown): Promise<View> {
    readQuery(query, []);
    return this.administration.listSigningKeys();
  }

  @Post('signing-keys/rotate')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  rotateSigningKey(
    @Query() query: unknown,
    @Body() body: unknown,
    @Req() request: HttpRequest,
  ): Promise<View> {
    readQuery(query, []);
    requireNoBody(body);
    return this.administration.rotateSigningKey(administratorOf(request));
  }

  @Get('identity-providers')
  @Header('Cache-Control', 'no-store')
  identityProviders(@Query() query: unknown): View {
    readQuery(query, []);
    return this.administration.identityProviders();
  }

  /**
   * Any other path or method under the API (declared last, so it only takes what no route
   * above matched): the module's own 404, never the framework's default body.
   */
  @All(UNKNOWN_PATHS)
  @Header('Cache-Control', 'no-store')
  unknown(): never {
    throw endpointNotFound();
  }
}

/**
 * Who is calling, for the audit: our guard's principal (token subject, else its client), or
 * what a host guard put on `request.user` (`sub` or `id`); `unknown` when nothing says.
 */
export function administratorOf(request: HttpRequest): string {
  const user = (request as { user?: unknown }).user;
  if (typeof user !== 'object' || user === null) return 'unknown';
  const fields = user as Record<string, unknown>;
  for (const name of ['subject', 'clientId', 'sub', 'id']) {
    const value = fields[name];
    if (typeof value === 'string' && value !== '') return value.slice(0, 256);
  }
  return 'unknown';
}
