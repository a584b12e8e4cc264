import { SpanStatusCode } from '@opentelemetry/api';
import { InMemoryTelemetry, sumOf } from '../../../../test/support/telemetry';
import { OAuthError } from '../oauth/oauth-error';
import { McpAuthTelemetry } from './mcp-auth-telemetry';
import { resolveTelemetryOptions } from './telemetry-options';

describe('McpAuthTelemetry', () => {
  const sdk = new InMemoryTelemetry();
  beforeAll(() => sdk.install());
  afterAll(() => sdk.uninstall());
  beforeEach(() => sdk.resetSpans());

  it('token requests: outcome issued, the OAuth error code, or server_error', async () => {
    const telemetry = new McpAuthTelemetry(resolveTelemetryOptions(undefined));
    await telemetry.tokenRequest(async (facts) => {
      facts.grantType = 'refresh_token';
      facts.clientId = 'client-1';
    });
    await expect(
      telemetry.tokenRequest(async (facts) => {
        facts.grantType = 'authorization_code';
        throw OAuthError.invalidGrant('replayed');
      }),
    ).rejects.toThrow(OAuthError);
    await expect(
      telemetry.tokenRequest(async () => {
        throw new Error('database down: password=hunter2');
      }),
    ).rejects.toThrow('database down');

    const requests = (await sdk.collect()).get('mcp_auth.token.requests');
    const count = (grantType: string, outcome: string) =>
      sumOf(requests, { 'mcp_auth.grant_type': grantType, 'mcp_auth.outcome': outcome });
    expect(count('refresh_token', 'issued')).toBe(1);
    expect(count('authorization_code', 'invalid_grant')).toBe(1);
    expect(count('unknown', 'server_error')).toBe(1);

    const spans = sdk.spans();
    expect(spans.map((span) => span.attributes)).toEqual([
      {
        'mcp_auth.grant_type': 'refresh_token',
        'mcp_auth.outcome': 'issued',
        'mcp_auth.client_id': 'client-1',
      },
      { 'mcp_auth.grant_type': 'authorization_code', 'mcp_auth.outcome': 'invalid_grant' },
      { 'mcp_auth.grant_type': 'unknown', 'mcp_auth.outcome': 'server_error' },
    ]);
    expect(spans.map((span) => span.status.code)).toEqual([
      SpanStatusCode.UNSET,
      SpanStatusCode.UNSET,
      SpanStatusCode.ERROR,
    ]);
    expect(JSON.stringify(spans.map((span) => [span.status, span.events]))).not.toContain(
      'hunter2',
    );
  });

  it('deny-list gauges until the instance is destroyed', async () => {
    const telemetry = new McpAuthTelemetry(resolveTelemetryOptions(undefined));
    let reads = 0;
    telemetry.observeDenyList({
      get size() {
        reads += 1;
        return 3;
      },
      isListening: true,
    });
    const collected = await sdk.collect();
    expect(collected.get('mcp_auth.deny_list.size')?.points[0].value).toBe(3);
    expect(collected.get('mcp_auth.revocation_listener.connected')?.points[0].value).toBe(1);
    expect(reads).toBe(1);
    telemetry.onModuleDestroy();
    await sdk.collect();
    expect(reads).toBe(1);
  });

  it('disabled: runs the request, records nothing, leaves stores unwrapped', async () => {
    const before = sdk.spans().length;
    const telemetry = new McpAuthTelemetry(resolveTelemetryOptions({ enabled: false }));
    await expect(telemetry.tokenRequest(async () => 'answer')).resolves.toBe('answer');
    const store = { find: async () => 1 };
    expect(telemetry.traceStore('Store', store)).toBe(store);
    expect(sdk.spans()).toHaveLength(before);
    const storeSpansOff = new McpAuthTelemetry(resolveTelemetryOptions({ storeSpans: false }));
    expect(storeSpansOff.traceStore('Store', store)).toBe(store);
  });
});
