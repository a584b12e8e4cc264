import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import type { HealthCheckResult } from '@nestjs/terminus';
import { McpAuthHealth } from '@app/mcp-auth';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly mcpAuth: McpAuthHealth,
  ) {}

  /**
   * 200 when the authorization server can serve: its database answers, a signing key is
   * loaded and the revocation deny-list is current; 503 otherwise, saying which.
   */
  @Get()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([() => this.mcpAuth.check('mcp-auth')]);
  }
}
