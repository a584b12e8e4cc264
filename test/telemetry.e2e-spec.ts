import { Controller, HttpCode, Logger, Post, UseGuards } from '@nestjs/common';
import { BearerGuard, RequiredScopes } from '@app/mcp-auth';
import { createTestApp, type TestApp } from './support/test-app';
import { DataPointType, InMemoryTelemetry, sumOf, type CollectedMetric } from './support/telemetry';
import {
  authenticate,
  http,
  obtainCode,
  recordTokens,
  redeem,
  refreshWith,
  register,
  SecretRegistry,
  type Client,
  type RawResponse,
} from './security/support/harness';

/**
 * OpenTelemetry: with an SDK installed as a host would (in-memory exporters),
 * real flows report the documented metrics and spans, with their kinds, units and attributes,
 * and no attribute carries a token or secret the flows handled.
 */

/** A guarded MCP endpoint, and one needing a scope the client never gets. */
@Controller()
@UseGuards(BearerGuard)
class McpEndpoint {
  @Post('mcp')
  @HttpCode(200)
  call() {
    return { jsonrpc: '2.0', id: 1, result: { content: [] } };
  }

  @Post('mcp/admin')
  @HttpCode(200)
  @RequiredScopes('mcp:admin')
  admin() {
    return { jsonrpc: '2.0', id: 1, result: {} };
  }
}

const TOOLS_CALL = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo' } };

function callMcp(t: TestApp, path: string, token?: string): Promise<RawResponse> {
  return http(t.url, path, {
    jsonBody: TOOLS_CALL,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('OpenTelemetry metrics and spans', () => {
  const telemetry = new InMemoryTelemetry();
  const secrets = new SecretRegistry();
  let t: TestApp;
  let client: Client;
  let metrics: Map<string, CollectedMetric>;

  beforeAll(async () => {
    // As a host does: the SDK first, then the application.
    telemetry.install();
    t = await createTestApp({
      auth: () => ({ cleanupInterval: 1 }),
      module: { controllers: [McpEndpoint] },
    });
    Logger.overrideLogger(['error']);

    client = await register(t, secrets, 'client_secret_basic');
    const obtained = await obtainCode(t, client, secrets);
    const tokens = recordTokens(secrets, (await redeem(t, client, obtained)).json);
    const refreshed = await refreshWith(t, client, tokens.refresh_token!);
    expect(refreshed.status).toBe(200);
    const current = recordTokens(secrets, refreshed.json);
    // A grant type nobody implements: counted as `unsupported`, never by its value.
    const unsupported = await http(
      t.url,
      '/token',
      authenticate(client, { grant_type: 'urn:example:unknown' }),
    );
    expect(unsupported.status).toBe(400);

    expect((await callMcp(t, '/mcp', current.access_token)).status).toBe(200);
    expect((await callMcp(t, '/mcp')).status).toBe(401);
    expect((await callMcp(t, '/mcp', 'not-a-token')).status).toBe(401);
    expect((await callMcp(t, '/mcp/admin', current.access_token)).status).toBe(403);
    const inQuery = await http(t.url, `/mcp?access_token=${current.access_token}`, {
      jsonBody: TOOLS_CALL,
      headers: { authorization: `Bearer ${current.access_token}` },
    });
    expect(inQuery.status).toBe(400);

    // A metadata document at a loopback address: refused before any connection.
    const refused = await http(
      t.url,
      `/authorize?response_type=code&client_id=${encodeURIComponent('https://127.0.0.1/client.json')}`,
    );
    expect(refused.status).toBe(400);

    // Revoked: the deny-list learns it through NOTIFY, and the guard refuses the token.
    expect(
      (await http(t.url, '/revoke', authenticate(client, { token: current.access_token }))).status,
    ).toBe(200);
    await waitFor(
      async () =>
        (await callMcp(t, '/mcp', current.access_token)).status === 401 ? true : undefined,
      'the revoked token to be refused',
    );

    // One expired row for the clean-up, which runs every second in this suite.
    await t.db.dataSource.query(
      `INSERT INTO mcp_auth_used_jtis (issuer, jti_hash, expires_at)
       VALUES ($1, 'telemetry-expired-jti', now() - interval '1 hour')`,
      [t.url],
    );
    await waitFor(async () => {
      const collected = await telemetry.collect();
      return sumOf(collected.get('mcp_auth.cleanup.rows_deleted'), {
        'db.collection.name': 'mcp_auth_used_jtis',
      }) > 0
        ? true
        : undefined;
    }, 'a clean-up run');
    metrics = await telemetry.collect();
  });

  afterAll(async () => {
    await t?.close();
    await telemetry.uninstall();
    Logger.overrideLogger(['error', 'warn']);
  });

  it('names the instrumentation scope after the package and its version', async () => {
    expect(await telemetry.scopes()).toContainEqual({
      name: 'nestjs-mcp-auth',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      schemaUrl: undefined,
    });
  });

  it('token requests: a counter and a histogram by grant type and outcome', () => {
    const requests = metrics.get('mcp_auth.token.requests');
    expect(requests).toMatchObject({ type: DataPointType.SUM, unit: '{request}' });
    const issued = { 'mcp_auth.outcome': 'issued' };
    expect(sumOf(requests, { ...issued, 'mcp_auth.grant_type': 'authorization_code' })).toBe(1);
    expect(sumOf(requests, { ...issued, 'mcp_auth.grant_type': 'refresh_token' })).toBe(1);
    expect(
      sumOf(requests, {
        'mcp_auth.grant_type': 'unsupported',
        'mcp_auth.outcome': 'unsupported_grant_type',
      }),
    ).toBe(1);
    for (const point of requests!.points) {
      expect(Object.keys(point.attributes).sort()).toEqual([
        'mcp_auth.grant_type',
        'mcp_auth.outcome',
      ]);
    }
    const duration = metrics.get('mcp_auth.token.duration');
    expect(duration).toMatchObject({ type: DataPointType.HISTOGRAM, unit: 's' });
    expect(sumOf(duration, issued)).toBe(2);
  });

  it('guard outcomes: ok, 400, 401 and 403', () => {
    const outcomes = metrics.get('mcp_auth.guard.outcomes');
    expect(outcomes).toMatchObject({ type: DataPointType.SUM, unit: '{request}' });
    const count = (outcome: string) => sumOf(outcomes, { 'mcp_auth.outcome': outcome });
    expect(count('ok')).toBe(1);
    expect(count('400')).toBe(1);
    expect(count('403')).toBe(1);
    // No token, a malformed one, and the revoked one (once or more while it propagated).
    expect(count('401')).toBeGreaterThanOrEqual(3);
    expect(count('error')).toBe(0);
  });

  it('deny-list: its size and the revocation listener as gauges, the lag as a histogram', () => {
    const size = metrics.get('mcp_auth.deny_list.size');
    expect(size).toMatchObject({ type: DataPointType.GAUGE, unit: '{entry}' });
    expect(size!.points[0].value).toBeGreaterThanOrEqual(1);
    const connected = metrics.get('mcp_auth.revocation_listener.connected');
    expect(connected).toMatchObject({ type: DataPointType.GAUGE });
    expect(connected!.points[0].value).toBe(1);
    const lag = metrics.get('mcp_auth.deny_list.lag');
    expect(lag).toMatchObject({ type: DataPointType.HISTOGRAM, unit: 's' });
    const point = lag!.points[0].value as { count: number; max: number };
    expect(point.count).toBeGreaterThanOrEqual(1);
    // Same machine: NOTIFY arrives within the second.
    expect(point.max).toBeLessThan(5);
  });

  it('clean-up: rows deleted by table, duration, no failures', () => {
    const rows = metrics.get('mcp_auth.cleanup.rows_deleted');
    expect(rows).toMatchObject({ type: DataPointType.SUM, unit: '{row}' });
    expect(sumOf(rows, { 'db.collection.name': 'mcp_auth_used_jtis' })).toBeGreaterThanOrEqual(1);
    expect(rows!.points.map((point) => point.attributes['db.collection.name'])).toEqual(
      expect.arrayContaining(['mcp_auth_grants', 'mcp_auth_refresh_tokens']),
    );
    expect(metrics.get('mcp_auth.cleanup.duration')).toMatchObject({
      type: DataPointType.HISTOGRAM,
      unit: 's',
    });
    expect(sumOf(metrics.get('mcp_auth.cleanup.failures'))).toBe(0);
  });

  it('metadata document fetches by outcome, without the URL', () => {
    const fetches = metrics.get('mcp_auth.client_metadata_document.fetches');
    expect(fetches).toMatchObject({ type: DataPointType.SUM, unit: '{fetch}' });
    expect(fetches!.points).toEqual([
      { attributes: { 'mcp_auth.outcome': 'forbidden_address' }, value: 1 },
    ]);
  });

  it('spans: mcp_auth.token per request with grant type, outcome and client; store calls inside', () => {
    const spans = telemetry.spans();
    const tokenSpans = spans.filter((span) => span.name === 'mcp_auth.token');
    expect(tokenSpans.map((span) => span.attributes)).toEqual(
      expect.arrayContaining([
        {
          'mcp_auth.grant_type': 'authorization_code',
          'mcp_auth.outcome': 'issued',
          'mcp_auth.client_id': client.clientId,
        },
        {
          'mcp_auth.grant_type': 'refresh_token',
          'mcp_auth.outcome': 'issued',
          'mcp_auth.client_id': client.clientId,
        },
        { 'mcp_auth.grant_type': 'unsupported', 'mcp_auth.outcome': 'unsupported_grant_type' },
      ]),
    );
    const refresh = tokenSpans.find(
      (span) => span.attributes['mcp_auth.grant_type'] === 'refresh_token',
    )!;
    const inside = spans.filter(
      (span) => span.parentSpanContext?.spanId === refresh.spanContext().spanId,
    );
    expect(inside.map((span) => span.name)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^mcp_auth\.store\.GrantStore\./)]),
    );
    for (const span of inside) {
      expect(span.attributes).toMatchObject({
        'db.system': 'postgresql',
        'db.system.name': 'postgresql',
      });
      expect(span.spanContext().traceId).toBe(refresh.spanContext().traceId);
    }
    // No span per guarded request by default.
    expect(spans.some((span) => span.name === 'mcp_auth.guard')).toBe(false);
    expect(spans.some((span) => span.name.startsWith('mcp_auth.store.ClientStore.'))).toBe(true);
  });

  it('no metric or span attribute carries a token, code or secret the flows handled', async () => {
    expect(
      secrets.kindsNotSeen(['access_token', 'refresh_token', 'code', 'client_secret']),
    ).toEqual([]);
    const exported = JSON.stringify({
      metrics: [...(await telemetry.collect()).values()],
      spans: telemetry.spans().map((span) => ({
        name: span.name,
        attributes: span.attributes,
        events: span.events,
        status: span.status,
      })),
    });
    expect(secrets.foundIn(exported)).toEqual([]);
    expect(exported).not.toContain('alice-password');
    expect(exported).not.toContain('127.0.0.1/client.json');
  });
});
