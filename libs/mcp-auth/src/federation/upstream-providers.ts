import { Injectable } from '@nestjs/common';
import { McpAuthConfig } from '../mcp-auth.config';
import { UpstreamProvider } from './upstream-provider';

/** The configured upstream providers of one module instance, by id. */
@Injectable()
export class UpstreamProviders {
  private readonly byId: ReadonlyMap<string, UpstreamProvider>;

  constructor(private readonly config: McpAuthConfig) {
    this.byId = new Map(
      config.federation.providers.map((options) => [
        options.id,
        new UpstreamProvider(options, this.callbackUrl(options.id)),
      ]),
    );
  }

  /** The URL to register at the provider. */
  callbackUrl(providerId: string): string {
    return `${this.config.endpoints.federation}/${providerId}/callback`;
  }

  get(providerId: string): UpstreamProvider | undefined {
    return this.byId.get(providerId);
  }

  /** Every configured provider, in configuration order. */
  all(): UpstreamProvider[] {
    return [...this.byId.values()];
  }
}
