import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG, SERVICE_NAME } from '../config/app-config.constants';
import { renderLandingPage } from './landing-page';
import { PAGE_HEADERS } from './page-layout';

/** GET /: a page for whoever opens the server in a browser, instead of a 404. */
@Controller()
export class LandingController {
  private readonly page: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    // Depends on the configuration only: rendered once.
    this.page = renderLandingPage({
      serviceName: SERVICE_NAME,
      issuerUrl: config.issuerUrl,
      production: config.production,
    });
  }

  @Get()
  show(@Res() response: Response): void {
    response.set(PAGE_HEADERS).send(this.page);
  }
}
