import { Injectable, Logger, type OnApplicationBootstrap, Optional } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { McpAuthConfig } from '../mcp-auth.config';
import type { McpAuthAuditEvent, McpAuthAuditEventType, NewMcpAuthAuditEvent } from './audit-event';
import { type AuditEventEmitter, findEventEmitter } from './event-emitter';

/** Events logged as warnings: failures and what looks like an attack. */
const WARNINGS: ReadonlySet<McpAuthAuditEventType> = new Set<McpAuthAuditEventType>([
  'sign_in.failed',
  'code.replayed',
  'refresh_token.reused',
  'rate_limit.exceeded',
]);

/** Events kept for the emitter while the application is still starting. */
const MAX_PENDING = 1000;

/**
 * The audit trail of one module instance. Every security-relevant event (see
 * {@link McpAuthAuditEvent}) is written as one JSON log line (Nest `Logger`, context
 * `McpAuthAudit`) and, when the application imports `EventEmitterModule.forRoot()` from
 * `@nestjs/event-emitter`, emitted as `<audit.eventPrefix><type>` (default
 * `mcp-auth.token.issued`, ...), e.g. for a listener that ships them to a SIEM.
 *
 * Events raised while the application starts (pre-registered clients, the first signing key)
 * are emitted once the application's listeners are attached. Emitting never throws: a failing
 * listener is logged and the request goes on. A host with its own login page may raise the
 * `sign_in.*` events through `emit`.
 * @publicApi
 */
@Injectable()
export class McpAuthAudit implements OnApplicationBootstrap {
  private readonly logger = new Logger('McpAuthAudit');
  private emitter: AuditEventEmitter | undefined;
  /** Events to emit once the application's listeners are attached; undefined afterwards. */
  private pending: McpAuthAuditEvent[] | undefined = [];

  constructor(
    private readonly config: McpAuthConfig,
    @Optional() private readonly moduleRef?: ModuleRef,
  ) {}

  /** @internal */
  onApplicationBootstrap(): void {
    const found = this.moduleRef ? findEventEmitter(this.moduleRef) : undefined;
    if (!found) {
      this.pending = undefined;
      return;
    }
    const flush = () => {
      const queued = this.pending ?? [];
      this.pending = undefined;
      this.emitter = found.emitter;
      for (const event of queued) this.deliver(event);
    };
    // @nestjs/event-emitter attaches @OnEvent listeners in its own bootstrap hook.
    if (found.ready) void found.ready.then(flush, flush);
    else flush();
  }

  /** Stamps the event with the issuer and the time, logs it and emits it. Never throws. */
  emit(event: NewMcpAuthAuditEvent): void {
    let stamped: McpAuthAuditEvent;
    try {
      stamped = this.stamp(event);
    } catch {
      return;
    }
    if (this.config.audit.log) {
      try {
        const line = JSON.stringify(stamped);
        if (WARNINGS.has(stamped.type)) this.logger.warn(line);
        else this.logger.log(line);
      } catch {
        // A logger that throws must not fail the request.
      }
    }
    if (this.pending) {
      if (this.pending.length < MAX_PENDING) this.pending.push(stamped);
      return;
    }
    this.deliver(stamped);
  }

  /** `{ ip }` when `audit.includeClientAddress` allows it, else nothing. */
  clientAddress(ip: string | undefined): { ip?: string } {
    return this.config.audit.includeClientAddress && ip ? { ip } : {};
  }

  /** `{ username }` when `audit.includeUsername` allows it, else nothing. */
  username(username: string | undefined): { username?: string } {
    return this.config.audit.includeUsername && username ? { username } : {};
  }

  private stamp(event: NewMcpAuthAuditEvent): McpAuthAuditEvent {
    const stamp = { issuer: this.config.issuer, at: new Date().toISOString() };
    // `type` first, then issuer and time, then the facts; members left undefined are dropped.
    // Frozen copies: a listener cannot change what the log or the next listener sees.
    const stamped: Record<string, unknown> = { type: event.type, ...stamp };
    for (const [name, value] of Object.entries(event)) {
      if (value === undefined || name in stamp) continue;
      stamped[name] = Array.isArray(value) ? Object.freeze([...(value as unknown[])]) : value;
    }
    return Object.freeze(stamped) as unknown as McpAuthAuditEvent;
  }

  private deliver(event: McpAuthAuditEvent): void {
    if (!this.emitter) return;
    try {
      this.emitter.emit(`${this.config.audit.eventPrefix}${event.type}`, event);
    } catch (error) {
      this.logger.warn(
        `A listener of ${event.type} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
