import type { ConsentRecord, ConsentStore } from '../../storage/consent-store.interface';
import { RememberedConsentPolicy } from './remembered-consent.policy';

/** A consent store holding one approval of `mcp:tools` for alice and the client `app`. */
function store(): ConsentStore & { remembered: string[][] } {
  const remembered: string[][] = [];
  const record: ConsentRecord = {
    subject: 'alice',
    clientId: 'app',
    scopes: ['mcp:tools'],
    createdAt: new Date(),
    updatedAt: new Date(),
  };
  return {
    remembered,
    find: async (subject, clientId) =>
      subject === record.subject && clientId === record.clientId ? record : null,
    remember: async (_subject, _clientId, scopes) => {
      remembered.push(scopes);
      return record;
    },
    forget: async () => false,
  };
}

function policy(rememberForPublicClients: boolean, consents: ConsentStore = store()) {
  return new RememberedConsentPolicy({ consent: { rememberForPublicClients } }, consents);
}

describe('RememberedConsentPolicy (RFC 8252 §8.6, AS-17)', () => {
  it('keeps the approval of a proven client, of a public one only when the operator allows it', () => {
    expect(policy(false).remembers('proven')).toBe(true);
    expect(policy(false).remembers('public')).toBe(false);
    expect(policy(true).remembers('public')).toBe(true);
    expect(policy(true).remembers('never')).toBe(false);
  });

  it('a remembered approval covers the scopes it named, for its user and client', async () => {
    const consent = policy(false);
    await expect(consent.covers('app', 'proven', [], 'alice', ['mcp:tools'])).resolves.toBe(true);
    await expect(consent.covers('app', 'proven', [], 'alice', ['mcp:admin'])).resolves.toBe(false);
    await expect(consent.covers('app', 'proven', [], 'bob', ['mcp:tools'])).resolves.toBe(false);
  });

  it('prompt=consent, or a client whose approval is not kept, always asks again', async () => {
    await expect(
      policy(false).covers('app', 'proven', ['consent'], 'alice', ['mcp:tools']),
    ).resolves.toBe(false);
    await expect(policy(false).covers('app', 'public', [], 'alice', ['mcp:tools'])).resolves.toBe(
      false,
    );
  });

  it('remembers through the consent store', async () => {
    const consents = store();
    await policy(false, consents).remember('alice', 'app', ['mcp:tools', 'mcp:resources']);
    expect(consents.remembered).toEqual([['mcp:tools', 'mcp:resources']]);
  });
});
