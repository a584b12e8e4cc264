import { DEMO_ACCOUNTS } from './accounts';
import { loadDevIdpConfig, type DevIdpConfig } from './config';
import { startDevIdp } from './server';

async function main(): Promise<void> {
  let config: DevIdpConfig;
  try {
    config = loadDevIdpConfig();
  } catch (error) {
    // The operator's to fix: what is wrong, no stack trace.
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }

  const idp = await startDevIdp(config);
  const accounts = DEMO_ACCOUNTS.map((a) => `${a.username} / ${a.password}`).join(', ');
  process.stdout.write(
    [
      '',
      'Development identity provider is ready (in memory, not for production).',
      `  Issuer:        ${idp.issuer}`,
      `  Discovery:     ${idp.issuer}/.well-known/openid-configuration`,
      `  Client:        ${config.client.clientId} (client_secret_basic, secret from DEV_IDP_CLIENT_SECRET)`,
      `  Redirect URIs: ${config.client.redirectUris.join(', ')}`,
      `  Demo users:    ${accounts}`,
      '',
      '',
    ].join('\n'),
  );

  const stop = () => {
    idp.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
