import { createHash, timingSafeEqual } from 'node:crypto';

/** The claims a demo account releases; the provider filters them by the granted scopes. */
export interface AccountClaims {
  name: string;
  given_name: string;
  family_name: string;
  preferred_username: string;
  email: string;
  email_verified: boolean;
  groups: string[];
}

export interface DemoAccount {
  /** The stable subject (`sub`): an opaque id, never the username or the email. */
  id: string;
  username: string;
  /** Public on purpose: the sign-in page lists the demo accounts. */
  password: string;
  claims: AccountClaims;
}

/** The demo users: alice (verified email, two groups) and bob (unverified email). */
export const DEMO_ACCOUNTS: readonly DemoAccount[] = [
  {
    id: '0f8fad5b-d9cb-469f-a165-70867728950e',
    username: 'alice',
    password: 'alice-password',
    claims: {
      name: 'Alice Liddell',
      given_name: 'Alice',
      family_name: 'Liddell',
      preferred_username: 'alice',
      email: 'alice@example.com',
      email_verified: true,
      groups: ['engineering', 'mcp-users'],
    },
  },
  {
    id: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
    username: 'bob',
    password: 'bob-password',
    claims: {
      name: 'Bob Builder',
      given_name: 'Bob',
      family_name: 'Builder',
      preferred_username: 'bob',
      email: 'bob@example.org',
      email_verified: false,
      groups: ['sales'],
    },
  },
];

/** The account a username and password sign in as, or undefined. */
export function authenticate(username: string, password: string): DemoAccount | undefined {
  const account = DEMO_ACCOUNTS.find((candidate) => candidate.username === username.trim());
  // Compared as digests: same length, constant time.
  const digest = (value: string) => createHash('sha256').update(value).digest();
  const matches = timingSafeEqual(digest(password), digest(account?.password ?? ''));
  return account && matches ? account : undefined;
}

/** oidc-provider's `findAccount`: the subject's claims, or undefined for an unknown subject. */
export function findAccount(
  _ctx: unknown,
  sub: string,
): { accountId: string; claims: () => Promise<{ sub: string } & AccountClaims> } | undefined {
  const account = DEMO_ACCOUNTS.find((candidate) => candidate.id === sub);
  if (!account) return undefined;
  return { accountId: account.id, claims: async () => ({ sub: account.id, ...account.claims }) };
}
