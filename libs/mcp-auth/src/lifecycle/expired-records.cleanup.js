'use strict';
var __decorate =
  (this && this.__decorate) ||
  function (decorators, target, key, desc) {
    var c = arguments.length,
      r =
        c < 3
          ? target
          : desc === null
            ? (desc = Object.getOwnPropertyDescriptor(target, key))
            : desc,
      d;
    if (typeof Reflect === 'object' && typeof Reflect.decorate === 'function')
      r = Reflect.decorate(decorators, target, key, desc);
    else
      for (var i = decorators.length - 1; i >= 0; i--)
        if ((d = decorators[i]))
          r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return (c > 3 && r && Object.defineProperty(target, key, r), r);
  };
var __metadata =
  (this && this.__metadata) ||
  function (k, v) {
    if (typeof Reflect === 'object' && typeof Reflect.metadata === 'function')
      return Reflect.metadata(k, v);
  };
var __param =
  (this && this.__param) ||
  function (paramIndex, decorator) {
    return function (target, key) {
      decorator(target, key, paramIndex);
    };
  };
Object.defineProperty(exports, '__esModule', { value: true });
exports.ExpiredRecordsCleanup = void 0;
const common_1 = require('@nestjs/common');
const mcp_auth_config_1 = require('../mcp-auth.config');
const mcp_auth_constants_1 = require('../mcp-auth.constants');
const expired_records_purger_1 = require('../storage/typeorm/stores/expired-records.purger');
/**
 * Purges expired codes, pending authorizations, refresh tokens and keys every
 * `cleanupInterval` seconds. Every instance runs it; the purger is safe to run concurrently.
 */
let ExpiredRecordsCleanup = class ExpiredRecordsCleanup {
  config;
  logger = new common_1.Logger('McpAuthCleanup');
  timer;
  running;
  purger;
  constructor(dataSource, config) {
    this.config = config;
    this.purger = new expired_records_purger_1.ExpiredRecordsPurger(dataSource);
  }
  onApplicationBootstrap() {
    if (this.config.cleanupInterval <= 0) return;
    this.timer = setInterval(() => void this.runOnce(), this.config.cleanupInterval * 1000);
    // Never keep the process alive just for housekeeping.
    this.timer.unref();
  }
  async onModuleDestroy() {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
  /** One purge; overlapping calls share the run in progress. */
  runOnce() {
    this.running ??= this.purger
      .purge({ grantRetention: this.config.accessTokenTtl + 3600 })
      .then((report) => {
        const total = Object.values(report).reduce((sum, n) => sum + n, 0);
        if (total) this.logger.log(`purged ${total} expired rows`);
      })
      .catch((error) => {
        this.logger.warn(`clean-up failed: ${error.message}`);
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }
};
exports.ExpiredRecordsCleanup = ExpiredRecordsCleanup;
exports.ExpiredRecordsCleanup = ExpiredRecordsCleanup = __decorate(
  [
    (0, common_1.Injectable)(),
    __param(0, (0, common_1.Inject)(mcp_auth_constants_1.MCP_AUTH_DATA_SOURCE)),
    __metadata('design:paramtypes', [Function, mcp_auth_config_1.McpAuthConfig]),
  ],
  ExpiredRecordsCleanup,
);
//# sourceMappingURL=expired-records.cleanup.js.map
