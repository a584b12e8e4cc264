import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DevIdpConfig } from './config';
import { handleInteraction, isInteractionRequest, sendPage } from './interactions';
import { loadOidcProvider } from './oidc-provider';
import { errorPage } from './pages';
import { providerConfiguration } from './provider-configuration';

export interface RunningDevIdp {
  /** The issuer identifier; discovery is at `<issuer>/.well-known/openid-configuration`. */
  issuer: string;
  server: Server;
  close(): Promise<void>;
}

/**
 * Starts the provider: the interaction pages (interactions.ts) on `/interaction/…`, every
 * other path to oidc-provider. With `config.issuer` undefined the issuer is
 * `http://localhost:<port bound>`.
 */
export async function startDevIdp(
  config: DevIdpConfig,
  log: (message: string) => void = (message) => process.stderr.write(`${message}\n`),
): Promise<RunningDevIdp> {
  const Provider = await loadOidcProvider();
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const issuer = config.issuer ?? `http://localhost:${(server.address() as AddressInfo).port}`;

  const provider = new Provider(issuer, providerConfiguration(config));
  provider.on('server_error', (_ctx, error) =>
    log(`server error: ${error.stack ?? error.message}`),
  );
  const oidc = provider.callback();
  server.on('request', (req, res) => {
    if (!isInteractionRequest(req)) return oidc(req, res);
    handleInteraction(provider, req, res).catch((error: unknown) => {
      log(`interaction error: ${(error as Error).stack ?? String(error)}`);
      if (!res.headersSent) sendPage(res, 500, errorPage('Error', 'Something went wrong.'));
      else res.destroy();
    });
  });

  return {
    issuer,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
