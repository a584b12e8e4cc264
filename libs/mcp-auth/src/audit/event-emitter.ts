import type { ModuleRef } from '@nestjs/core';

/** What the audit needs of `@nestjs/event-emitter`'s `EventEmitter2`. */
export interface AuditEventEmitter {
  emit(event: string, ...values: unknown[]): unknown;
}

/** The application's emitter, and when its `@OnEvent` listeners are attached (if it says). */
export interface FoundEventEmitter {
  emitter: AuditEventEmitter;
  ready: Promise<void> | undefined;
}

/** The members of `@nestjs/event-emitter` looked up; the readiness watcher is newer than 2.0. */
interface EventEmitterPackage {
  EventEmitter2?: object;
  EventEmitterReadinessWatcher?: object;
}

/**
 * The `EventEmitter2` of the application (`EventEmitterModule.forRoot()`), found by its class
 * in any module; undefined when the package is not installed or the application does not
 * provide it.
 *
 * The package is an optional peer, so it is loaded here, once the application runs, and not
 * imported by the library. With `require` rather than `import()`: the class must be the very
 * one the application registered as its token, and `require` resolves the copy the
 * application's own imports resolve (CommonJS, or an ES module through Node's `require` of
 * ES modules), where a dynamic import may load a second copy under some module loaders.
 */
export function findEventEmitter(moduleRef: ModuleRef): FoundEventEmitter | undefined {
  const library = loadEventEmitterPackage();
  if (!library?.EventEmitter2) return undefined;
  const emitter = lookup<Partial<AuditEventEmitter>>(moduleRef, library.EventEmitter2);
  if (typeof emitter?.emit !== 'function') return undefined;
  const watcher = library.EventEmitterReadinessWatcher
    ? lookup<{ waitUntilReady?: () => Promise<void> }>(
        moduleRef,
        library.EventEmitterReadinessWatcher,
      )
    : undefined;
  return {
    emitter: emitter as AuditEventEmitter,
    ready: typeof watcher?.waitUntilReady === 'function' ? watcher.waitUntilReady() : undefined,
  };
}

function loadEventEmitterPackage(): EventEmitterPackage | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('@nestjs/event-emitter') as EventEmitterPackage;
  } catch {
    return undefined;
  }
}

function lookup<T>(moduleRef: ModuleRef, token: object): T | undefined {
  try {
    return moduleRef.get<unknown, T>(token as abstract new () => unknown, { strict: false });
  } catch {
    return undefined;
  }
}
