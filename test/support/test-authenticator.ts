import { Injectable } from '@nestjs/common';
import type { AuthenticatedResourceOwner, ResourceOwnerAuthenticator } from '@app/mcp-auth';

/** Users of the test apps: name → password and subject. */
export const TEST_USERS: Record<string, { password: string; subject: string }> = {
  alice: { password: 'alice-password', subject: 'user-alice' },
  bob: { password: 'bob-password', subject: 'user-bob' },
};

@Injectable()
export class TestAuthenticator implements ResourceOwnerAuthenticator {
  async authenticate(
    username: string,
    password: string,
  ): Promise<AuthenticatedResourceOwner | null> {
    const user = TEST_USERS[username];
    return user && user.password === password
      ? { subject: user.subject, displayName: username }
      : null;
  }
}
