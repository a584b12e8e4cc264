'use strict';
Object.defineProperty(exports, '__esModule', { value: true });
exports.lifecycleProviders = void 0;
const mcp_auth_config_1 = require('../mcp-auth.config');
const mcp_auth_constants_1 = require('../mcp-auth.constants');
const expired_records_cleanup_1 = require('./expired-records.cleanup');
const schema_migrator_1 = require('./schema-migrator');
exports.lifecycleProviders = [
  {
    provide: mcp_auth_constants_1.MCP_AUTH_SCHEMA_READY,
    useFactory: async (dataSource, config) => {
      if (config.migrationsRun) await (0, schema_migrator_1.runMcpAuthMigrations)(dataSource);
      return true;
    },
    inject: [mcp_auth_constants_1.MCP_AUTH_DATA_SOURCE, mcp_auth_config_1.McpAuthConfig],
  },
  expired_records_cleanup_1.ExpiredRecordsCleanup,
];
//# sourceMappingURL=lifecycle.providers.js.map
