import { Inject, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AuthenticatedResourceOwner, ResourceOwnerAuthenticator } from '@app/mcp-auth';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/app-config.constants';

/**
 * The sample's only user, from DEMO_USERNAME / DEMO_PASSWORD. A real application checks its
 * own user store here, with a password hash such as argon2.
 */
@Injectable()
export class DemoAuthenticator implements ResourceOwnerAuthenticator {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async authenticate(
    username: string,
    password: string,
  ): Promise<AuthenticatedResourceOwner | null> {
    // Both compared, always, in constant time: the response time reveals neither.
    const userOk = sameText(username, this.config.demoUsername);
    const passwordOk = sameText(password, this.config.demoPassword);
    return userOk && passwordOk
      ? { subject: `demo|${this.config.demoUsername}`, displayName: username }
      : null;
  }
}

function sameText(a: string, b: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(a), digest(b));
}
