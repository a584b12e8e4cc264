import { Injectable, Logger, Optional } from '@nestjs/common';
import { McpAuthConfig } from '../../mcp-auth.config';
import { cacheLifetimeSeconds } from '../../outbound/cache-lifetime';
import { parseClientIdUrl } from '../../outbound/client-id-url';
import { JsonDocumentFetcher } from '../../outbound/json-document.fetcher';
import { OutboundFetchError } from '../../outbound/outbound-fetch.error';
import {
  type ClientRecord,
  type ClientStore,
  InjectClientStore,
} from '../../storage/client-store.interface';
import { toNewClient } from '../registration/client-record.mapper';
import type { ClientMetadataRules } from '../registration/validate-client-metadata';
import { McpAuthTelemetry } from '../../telemetry/mcp-auth-telemetry';
import { ClientMetadataDocumentError } from './client-metadata-document.error';
import {
  InvalidClientMetadataDocument,
  validateClientMetadataDocument,
} from './client-metadata-document.validator';

/**
 * Clients named by a Client ID Metadata Document URL (AS-11). The client table holds the
 * cached copy of each document, shared by every instance: it is used while fresh, and fetched,
 * validated and stored again once stale. A failed fetch or an invalid document is never
 * stored, and the stale copy is not used for a new authorization: the client gets a clear
 * error until its document is back.
 */
@Injectable()
export class ClientMetadataDocuments {
  private readonly logger = new Logger('McpAuthClientMetadataDocuments');
  private readonly fetcher: JsonDocumentFetcher;
  private readonly rules: ClientMetadataRules;
  /** One fetch per URL at a time in this process; concurrent requests share its outcome. */
  private readonly inFlight = new Map<string, Promise<ClientRecord>>();

  constructor(
    private readonly config: McpAuthConfig,
    @InjectClientStore() private readonly clients: ClientStore,
    @Optional() private readonly telemetry: McpAuthTelemetry = McpAuthTelemetry.disabled,
  ) {
    const options = config.clientMetadataDocuments;
    this.fetcher = new JsonDocumentFetcher({
      resolver: options.resolver,
      timeoutMs: options.timeoutMs,
      maxBodyBytes: options.maxBodyBytes,
      allowLoopbackHosts: options.allowLoopbackHosts,
      ca: options.ca,
      urlPolicy: options.urlPolicy,
      documentPolicy: options.documentPolicy,
    });
    this.rules = { scopesSupported: config.scopesSupported };
  }

  get enabled(): boolean {
    return this.config.clientMetadataDocuments.enabled;
  }

  /**
   * The client whose metadata document is at `url` (the client_id exactly as presented).
   * @throws ClientMetadataDocumentError when the URL, the fetch or the document is refused
   */
  async resolve(url: string): Promise<ClientRecord> {
    const cached = await this.clients.findById(url);
    if (cached && !isStale(cached)) return cached;
    let pending = this.inFlight.get(url);
    if (!pending) {
      pending = this.fetchAndStore(url)
        .then(
          (client) => {
            this.telemetry.clientMetadataDocumentFetched('fetched');
            return client;
          },
          (error: unknown) => {
            this.telemetry.clientMetadataDocumentFetched(fetchOutcome(error));
            throw error;
          },
        )
        .finally(() => this.inFlight.delete(url));
      this.inFlight.set(url, pending);
    }
    return pending;
  }

  private async fetchAndStore(url: string): Promise<ClientRecord> {
    const checked = parseClientIdUrl(url);
    if (!checked.ok) {
      this.logger.warn(
        `client metadata document ${withoutUserinfo(url)} refused (invalid_url): ${checked.reason}`,
      );
      throw new ClientMetadataDocumentError(
        url,
        `The client_id is not a usable metadata document URL: ${checked.reason}.`,
      );
    }
    let fetched;
    try {
      fetched = await this.fetcher.fetch(url);
    } catch (error) {
      if (!(error instanceof OutboundFetchError)) throw error;
      this.logger.warn(
        `client metadata document ${url} refused (${error.reason}): ${error.message}`,
      );
      throw new ClientMetadataDocumentError(
        url,
        `The client's metadata document could not be retrieved (${describe(error)}).`,
        { cause: error },
      );
    }
    let metadata;
    try {
      metadata = validateClientMetadataDocument(url, fetched.document, this.rules);
    } catch (error) {
      if (!(error instanceof InvalidClientMetadataDocument)) throw error;
      this.logger.warn(`client metadata document at ${url} is invalid: ${error.message}`);
      throw new ClientMetadataDocumentError(
        url,
        `The client's metadata document is not valid: ${error.message}.`,
        { cause: error },
      );
    }
    const now = new Date();
    const lifetime = cacheLifetimeSeconds(
      fetched.cacheHeaders,
      now,
      this.config.clientMetadataDocuments.cache,
    );
    return this.clients.upsert(
      toNewClient(metadata, {
        clientId: url,
        clientSecretHash: null,
        clientSecretExpiresAt: null,
        source: 'metadata_document',
        documentExpiresAt: new Date(now.getTime() + lifetime * 1000),
      }),
    );
  }
}

/** The metric's outcome of a failed fetch: a bounded set, never the URL or a message. */
function fetchOutcome(error: unknown): string {
  const cause = error instanceof ClientMetadataDocumentError ? error.cause : undefined;
  if (cause instanceof OutboundFetchError) return cause.reason;
  if (cause instanceof InvalidClientMetadataDocument) return 'invalid_document';
  if (error instanceof ClientMetadataDocumentError) return 'invalid_url';
  return 'error';
}

function isStale(client: ClientRecord): boolean {
  return (
    client.source === 'metadata_document' &&
    (client.documentExpiresAt === null || client.documentExpiresAt.getTime() <= Date.now())
  );
}

/** What the user and the client developer are told; the details stay in the log. */
function describe(error: OutboundFetchError): string {
  switch (error.reason) {
    case 'invalid_url':
      return 'the URL is not acceptable';
    case 'policy':
      return "refused by this server's policy";
    case 'dns':
      return 'its host name does not resolve';
    case 'forbidden_address':
      return 'its host is on a private or reserved network';
    case 'connection':
      return 'the connection failed';
    case 'timeout':
      return 'it took too long';
    case 'redirect':
      return 'the URL redirects, and redirects are not followed';
    case 'http_status':
      return `it answered HTTP ${/answered (\d{3})/.exec(error.message)?.[1] ?? 'an error'}`;
    case 'too_large':
      return 'it is too large';
    case 'not_json':
      return 'it is not a JSON object';
  }
}

/** A refused URL may carry user information (a password): never into the log. */
function withoutUserinfo(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1[userinfo]@');
}
