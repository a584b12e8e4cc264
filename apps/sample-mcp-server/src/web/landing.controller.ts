import { applyDecorators, Controller, Get, Header, Inject } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG, SERVICE_NAME } from '../config/app-config.constants';
import { renderLandingPage } from './landing-page';
import { PAGE_HEADERS } from './page-layout';

/** The page headers as route decorators: Nest sets them on either HTTP adapter. */
const PageHeaders = () =>
  applyDecorators(...Object.entries(PAGE_HEADERS).map(([name, value]) => Header(name, value)));

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
  @PageHeaders()
  show(): string {
    return this.page;
  }
}
