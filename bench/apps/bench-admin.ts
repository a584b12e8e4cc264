/**
 * What the cost-as-data-grows scenarios read from inside the app process: the heap after a full
 * collection with the deny-list's size, and one timed run of the clean-up's purger.
 */
import type { ModuleRef } from '@nestjs/core';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { DataSource } from 'typeorm';
import { McpAuthConfig } from '@app/mcp-auth';
// Not in the public API: the deny-list and the purger the scheduled clean-up runs.
import { MCP_AUTH_DATA_SOURCE } from '../../libs/mcp-auth/src/mcp-auth.constants';
import { RevocationList } from '../../libs/mcp-auth/src/resource-server/revocation/revocation-list';
import { ExpiredRecordsPurger } from '../../libs/mcp-auth/src/storage/typeorm/stores/expired-records.purger';

export interface BenchMemory {
  /** V8 heap in use after a full garbage collection, bytes. */
  heapUsed: number;
  rss: number;
  /** Entries the deny-list holds (revoked grant ids and jtis). */
  revocations: number;
}

let collect: (() => void) | undefined;

/** A full collection without starting node with --expose-gc. */
function fullGc(): void {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
  collect();
}

export function benchMemory(moduleRef: ModuleRef): BenchMemory {
  fullGc();
  const { heapUsed, rss } = process.memoryUsage();
  const list = moduleRef.get(RevocationList, { strict: false });
  return { heapUsed, rss, revocations: list.size };
}

export async function benchPurge(
  moduleRef: ModuleRef,
): Promise<{ ms: number; deleted: Record<string, number> }> {
  const dataSource = moduleRef.get<DataSource>(MCP_AUTH_DATA_SOURCE, { strict: false });
  const config = moduleRef.get(McpAuthConfig, { strict: false });
  // The same purger and options as lifecycle/expired-records.cleanup.ts.
  const purger = new ExpiredRecordsPurger(dataSource, config.storage);
  const started = performance.now();
  const deleted = await purger.purge({ grantRetention: config.accessTokenTtl + 3600 });
  return { ms: performance.now() - started, deleted };
}
