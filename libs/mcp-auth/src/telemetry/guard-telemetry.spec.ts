import { HttpException } from '@nestjs/common';
import { InMemoryTelemetry, sumOf } from '../../../../test/support/telemetry';
import { GuardTelemetry } from './guard-telemetry';
import { resolveTelemetryOptions } from './telemetry-options';

describe('GuardTelemetry', () => {
  const sdk = new InMemoryTelemetry();
  beforeAll(() => sdk.install());
  afterAll(() => sdk.uninstall());

  it('counts outcomes, read when the SDK collects, and stops when told', async () => {
    const guard = new GuardTelemetry(resolveTelemetryOptions(undefined));
    guard.record('ok');
    guard.record('ok');
    guard.record('401');
    let outcomes = (await sdk.collect()).get('mcp_auth.guard.outcomes');
    expect(sumOf(outcomes, { 'mcp_auth.outcome': 'ok' })).toBe(2);
    expect(sumOf(outcomes, { 'mcp_auth.outcome': '401' })).toBe(1);
    expect(outcomes?.points).toHaveLength(2);

    guard.stop();
    guard.record('ok');
    outcomes = (await sdk.collect()).get('mcp_auth.guard.outcomes');
    expect(sumOf(outcomes, { 'mcp_auth.outcome': 'ok' })).toBe(2);
  });

  it('makes a span per request only with guardSpans', () => {
    sdk.resetSpans();
    const quiet = new GuardTelemetry(resolveTelemetryOptions(undefined));
    expect(quiet.startSpan()).toBeUndefined();
    const spans = new GuardTelemetry(resolveTelemetryOptions({ guardSpans: true }));
    spans.record('403', spans.startSpan());
    expect(sdk.spans().map((span) => [span.name, span.attributes])).toEqual([
      ['mcp_auth.guard', { 'mcp_auth.outcome': '403' }],
    ]);
    quiet.stop();
    spans.stop();
  });

  it('reports nothing when disabled', async () => {
    const before = sumOf((await sdk.collect()).get('mcp_auth.guard.outcomes'));
    const off = new GuardTelemetry(resolveTelemetryOptions({ enabled: false }));
    off.record('ok');
    expect(off.startSpan()).toBeUndefined();
    expect(sumOf((await sdk.collect()).get('mcp_auth.guard.outcomes'))).toBe(before);
  });

  it('tells refusals apart by their status', () => {
    expect(GuardTelemetry.outcomeOf(new HttpException('x', 400))).toBe('400');
    expect(GuardTelemetry.outcomeOf(new HttpException('x', 401))).toBe('401');
    expect(GuardTelemetry.outcomeOf(new HttpException('x', 403))).toBe('403');
    expect(GuardTelemetry.outcomeOf(new HttpException('x', 503))).toBe('503');
    expect(GuardTelemetry.outcomeOf(new HttpException('x', 500))).toBe('error');
    expect(GuardTelemetry.outcomeOf(new Error('bug'))).toBe('error');
    expect(GuardTelemetry.outcomeOf(null)).toBe('error');
  });
});
