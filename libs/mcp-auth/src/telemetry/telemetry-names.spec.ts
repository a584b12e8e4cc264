import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INSTRUMENTATION_SCOPE, INSTRUMENTATION_VERSION, METRICS, SPANS } from './telemetry-names';

describe('telemetry names', () => {
  it('name the instrumentation scope after the published package and its version', () => {
    const manifest = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as {
      name: string;
      version: string;
    };
    expect(INSTRUMENTATION_SCOPE).toBe(manifest.name);
    expect(INSTRUMENTATION_VERSION).toBe(manifest.version);
  });

  it('follow the OpenTelemetry naming rules: lower case, dot-separated, under mcp_auth.', () => {
    for (const name of [...Object.values(METRICS), SPANS.token, SPANS.guard]) {
      expect(name).toMatch(/^mcp_auth(\.[a-z][a-z0-9_]*)+$/);
    }
    expect(new Set(Object.values(METRICS)).size).toBe(Object.values(METRICS).length);
  });
});
