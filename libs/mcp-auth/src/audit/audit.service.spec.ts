import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { EventEmitter2, EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import { Test, type TestingModule } from '@nestjs/testing';
import { McpAuthConfig } from '../mcp-auth.config';
import type { McpAuthModuleOptions } from '../mcp-auth-options.interface';
import type { McpAuthAuditEvent, McpAuthAuditEventOf, NewMcpAuthAuditEvent } from './audit-event';
import type { AuditOptions } from './audit-options';
import { McpAuthAudit } from './audit.service';
import { findEventEmitter } from './event-emitter';

const ISSUER = 'https://mcp.example.com';

function config(audit?: AuditOptions): McpAuthConfig {
  const options: McpAuthModuleOptions = {
    issuer: ISSUER,
    resources: [{ path: '/mcp', scopes: ['mcp:tools'] }],
    scopes: { 'mcp:tools': 'Tools' },
    audit,
  };
  return new McpAuthConfig(options);
}

const ISSUED: NewMcpAuthAuditEvent = {
  type: 'token.issued',
  grant_type: 'authorization_code',
  client_id: 'client-1',
  subject: 'user-1',
  grant_id: 'grant-1',
  scopes: ['mcp:tools'],
  resource: `${ISSUER}/mcp`,
  refresh_token: true,
};

/** Raises an event while the application starts, before any listener is attached. */
@Injectable()
class BootTimeEmitter implements OnModuleInit {
  constructor(private readonly audit: McpAuthAudit) {}
  onModuleInit(): void {
    this.audit.emit({
      type: 'signing_key.created',
      kid: 'kid-1',
      algorithm: 'ES256',
    });
  }
}

@Injectable()
class Listener {
  readonly received: McpAuthAuditEvent[] = [];
  @OnEvent('mcp-auth.signing_key.created')
  onCreated(event: McpAuthAuditEventOf<'signing_key.created'>): void {
    this.received.push(event);
  }
  @OnEvent('mcp-auth.token.issued')
  onIssued(event: McpAuthAuditEventOf<'token.issued'>): void {
    this.received.push(event);
  }
}

async function application(
  audit?: AuditOptions,
  withEmitter = true,
): Promise<{ module: TestingModule; audit: McpAuthAudit }> {
  const module = await Test.createTestingModule({
    imports: withEmitter ? [EventEmitterModule.forRoot()] : [],
    providers: [
      { provide: McpAuthConfig, useValue: config(audit) },
      McpAuthAudit,
      BootTimeEmitter,
      Listener,
    ],
  }).compile();
  await module.init();
  return { module, audit: module.get(McpAuthAudit) };
}

describe('McpAuthAudit', () => {
  let log: jest.SpyInstance;
  let warn: jest.SpyInstance;

  beforeEach(() => {
    log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('writes one JSON line per event: type, issuer and time first, nothing undefined', () => {
    const audit = new McpAuthAudit(config());
    audit.emit({ ...ISSUED, provider: undefined });
    expect(log).toHaveBeenCalledTimes(1);
    const line = log.mock.calls[0][0] as string;
    expect(line).not.toContain('\n');
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(Object.keys(parsed).slice(0, 3)).toEqual(['type', 'issuer', 'at']);
    expect(parsed).toEqual({ ...ISSUED, issuer: ISSUER, at: expect.any(String) });
    expect(new Date(parsed.at as string).toISOString()).toBe(parsed.at);
    expect('provider' in parsed).toBe(false);
  });

  it('logs failures and attacks as warnings', () => {
    const audit = new McpAuthAudit(config());
    audit.emit({
      type: 'refresh_token.reused',
      client_id: 'c',
      grant_id: 'g',
      grant_revoked: true,
    });
    audit.emit({ type: 'sign_in.failed', method: 'password', reason: 'invalid_credentials' });
    expect(warn).toHaveBeenCalledTimes(2);
    expect(log).not.toHaveBeenCalled();
  });

  it('the issuer and time cannot be overridden by the caller', () => {
    const audit = new McpAuthAudit(config());
    audit.emit({ ...ISSUED, issuer: 'https://evil.example', at: 'yesterday' } as never);
    const parsed = JSON.parse(log.mock.calls[0][0] as string) as Record<string, unknown>;
    expect(parsed.issuer).toBe(ISSUER);
    expect(parsed.at).not.toBe('yesterday');
  });

  it('`log: false` writes nothing', () => {
    const audit = new McpAuthAudit(config({ log: false }));
    audit.emit(ISSUED);
    expect(log).not.toHaveBeenCalled();
  });

  it('puts user names and client addresses in only when the options allow it', () => {
    const off = new McpAuthAudit(config());
    expect(off.username('alice')).toEqual({});
    expect(off.clientAddress('203.0.113.7')).toEqual({});
    const on = new McpAuthAudit(config({ includeUsername: true, includeClientAddress: true }));
    expect(on.username('alice')).toEqual({ username: 'alice' });
    expect(on.clientAddress('203.0.113.7')).toEqual({ ip: '203.0.113.7' });
    expect(on.clientAddress(undefined)).toEqual({});
  });

  it('never throws, not even when the logger does', () => {
    log.mockImplementation(() => {
      throw new Error('disk full');
    });
    const audit = new McpAuthAudit(config());
    expect(() => audit.emit(ISSUED)).not.toThrow();
  });

  it('without an EventEmitter2 in the application it only logs', async () => {
    const { module, audit } = await application(undefined, false);
    expect(() => audit.emit(ISSUED)).not.toThrow();
    const lines = log.mock.calls.map(([line]) => String(line)).filter((l) => l.startsWith('{'));
    expect(lines.map((line) => (JSON.parse(line) as McpAuthAuditEvent).type)).toEqual([
      'signing_key.created',
      'token.issued',
    ]);
    expect(module.get(Listener).received).toEqual([]);
    await module.close();
  });

  it('without the @nestjs/event-emitter package it finds no emitter', () => {
    jest.isolateModules(() => {
      jest.doMock('@nestjs/event-emitter', () => {
        throw Object.assign(new Error("Cannot find module '@nestjs/event-emitter'"), {
          code: 'MODULE_NOT_FOUND',
        });
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const isolated = require('./event-emitter') as { findEventEmitter: typeof findEventEmitter };
      const moduleRef = { get: jest.fn() } as unknown as ModuleRef;
      expect(isolated.findEventEmitter(moduleRef)).toBeUndefined();
      expect(moduleRef.get).not.toHaveBeenCalled();
    });
    jest.dontMock('@nestjs/event-emitter');
  });

  it('emits `mcp-auth.<type>` to @OnEvent listeners, also what was raised while starting', async () => {
    const { module, audit } = await application();
    const listener = module.get(Listener);
    // The boot-time event waited for the listeners.
    await new Promise((resolve) => setImmediate(resolve));
    audit.emit(ISSUED);
    expect(listener.received.map((event) => event.type)).toEqual([
      'signing_key.created',
      'token.issued',
    ]);
    const issued = listener.received[1];
    expect(issued).toEqual({ ...ISSUED, issuer: ISSUER, at: expect.any(String) });
    expect(Object.isFrozen(issued)).toBe(true);
    expect(Object.isFrozen((issued as McpAuthAuditEventOf<'token.issued'>).scopes)).toBe(true);
    await module.close();
  });

  it('uses audit.eventPrefix, and a throwing listener neither throws nor stops the log', async () => {
    const { module, audit } = await application({ eventPrefix: 'security/' });
    await new Promise((resolve) => setImmediate(resolve));
    const emitter = module.get(EventEmitter2);
    const received: unknown[] = [];
    emitter.on('security/token.issued', (event: unknown) => received.push(event));
    emitter.on('security/token.issued', () => {
      throw new Error('listener down');
    });
    expect(() => audit.emit(ISSUED)).not.toThrow();
    expect(received).toHaveLength(1);
    expect(module.get(Listener).received).toEqual([]);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('listener down'));
    await module.close();
  });

  it('finds the emitter by its class in any module', async () => {
    const { module } = await application();
    const found = findEventEmitter(module.get(ModuleRef));
    expect(found?.emitter).toBe(module.get(EventEmitter2));
    await module.close();
  });
});
