import { authenticate, DEMO_ACCOUNTS, findAccount } from './accounts';

describe('the demo accounts', () => {
  it('sign in with their own password only', () => {
    const [alice, bob] = DEMO_ACCOUNTS;
    expect(authenticate('alice', 'alice-password')).toBe(alice);
    expect(authenticate(' bob ', 'bob-password')).toBe(bob);
    expect(authenticate('alice', 'bob-password')).toBeUndefined();
    expect(authenticate('mallory', '')).toBeUndefined();
  });

  it('have stable opaque subjects, not their usernames or emails', async () => {
    for (const account of DEMO_ACCOUNTS) {
      expect(account.id).toMatch(/^[0-9a-f-]{36}$/);
      const found = findAccount(undefined, account.id);
      await expect(found?.claims()).resolves.toMatchObject({
        sub: account.id,
        email: account.claims.email,
      });
    }
    expect(findAccount(undefined, 'alice')).toBeUndefined();
  });
});
