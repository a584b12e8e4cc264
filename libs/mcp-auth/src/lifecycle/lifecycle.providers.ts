import type { Provider } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { McpAuthConfig } from '../mcp-auth.config';
import { MCP_AUTH_DATA_SOURCE, MCP_AUTH_SCHEMA_READY } from '../mcp-auth.constants';
import { ExpiredRecordsCleanup } from './expired-records.cleanup';
import { HttpDrain } from './http-drain';
import { McpAuthHealth } from './mcp-auth.health';
import { runMcpAuthMigrations } from './schema-migrator';

export const lifecycleProviders: Provider[] = [
  {
    provide: MCP_AUTH_SCHEMA_READY,
    useFactory: async (dataSource: DataSource, config: McpAuthConfig) => {
      if (config.migrationsRun) await runMcpAuthMigrations(dataSource);
      return true;
    },
    inject: [MCP_AUTH_DATA_SOURCE, McpAuthConfig],
  },
  ExpiredRecordsCleanup,
  McpAuthHealth,
  HttpDrain,
];
