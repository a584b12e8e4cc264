import { McpAuthConfig, SigningKeyService } from '@app/mcp-auth';
import { createTestApp } from './support/test-app';

describe('McpAuthModule boot', () => {
  it('boots on the test database, creates a signing key and exposes its config', async () => {
    const t = await createTestApp();
    try {
      const config = t.app.get(McpAuthConfig);
      expect(config.issuer).toBe(t.url);
      expect(config.resources[0].uri).toBe(`${t.url}/mcp`);
      expect(t.app.get(SigningKeyService).getJwks().keys).toHaveLength(1);
      const rows = await t.db.dataSource.query(`SELECT kid FROM mcp_auth_signing_keys`);
      expect(rows).toHaveLength(1);
    } finally {
      await t.close();
    }
  });
});
