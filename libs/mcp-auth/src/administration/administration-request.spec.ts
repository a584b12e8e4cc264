import { OAuthError } from '../oauth/oauth-error';
import {
  DEFAULT_PAGE_SIZE,
  readChoice,
  readGrantId,
  readIdentifier,
  readLimit,
  readQuery,
  readRevocationFilter,
  requireNoBody,
} from './administration-request';

const refused = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(OAuthError);
    expect((error as OAuthError).error).toBe('invalid_request');
    expect((error as OAuthError).status).toBe(400);
    return;
  }
  throw new Error('expected invalid_request');
};

describe('administration request parsing', () => {
  it('reads known query members as strings', () => {
    expect(readQuery({ limit: '5', cursor: 'abc' }, ['limit', 'cursor'])).toEqual({
      limit: '5',
      cursor: 'abc',
    });
    expect(readQuery(undefined, [])).toEqual({});
  });

  it.each([[{ colour: 'blue' }], [{ limit: ['1', '2'] }], [{ limit: { $gt: '' } }], ['limit=1']])(
    'refuses the query %j',
    (query) => {
      refused(() => readQuery(query, ['limit']));
    },
  );

  it('limit: default, bounds and shape', () => {
    expect(readLimit(undefined)).toBe(DEFAULT_PAGE_SIZE);
    expect(readLimit('1')).toBe(1);
    expect(readLimit('200')).toBe(200);
    for (const bad of ['0', '201', '-1', '1.5', '01', ' 5', '1e2', '', '9999999999']) {
      refused(() => readLimit(bad));
    }
  });

  it('identifiers: non-empty, bounded, no control characters', () => {
    expect(readIdentifier('https://app.example/c.json', 'id')).toBe('https://app.example/c.json');
    for (const bad of ['', 'a\u0000b', 'line\nbreak', 'x'.repeat(2049), 42, null]) {
      refused(() => readIdentifier(bad, 'id'));
    }
  });

  it('grant ids are UUIDs', () => {
    expect(readGrantId('0F0E0D0C-0000-4000-8000-000000000000')).toBe(
      '0f0e0d0c-0000-4000-8000-000000000000',
    );
    refused(() => readGrantId('not-a-uuid'));
    refused(() => readGrantId("' OR 1=1 --"));
  });

  it('choices', () => {
    expect(readChoice(undefined, 'status', ['active', 'all'], 'all')).toBe('all');
    expect(readChoice('active', 'status', ['active', 'all'], 'all')).toBe('active');
    refused(() => readChoice('expired', 'status', ['active', 'all'], 'all'));
  });

  it('the bulk revocation body names a subject, a client or both, and nothing else', () => {
    expect(readRevocationFilter({ subject: 'alice' })).toEqual({ subject: 'alice' });
    expect(readRevocationFilter({ subject: 'alice', client_id: 'c' })).toEqual({
      subject: 'alice',
      clientId: 'c',
    });
    for (const bad of [undefined, null, [], 'alice', {}, { subject: '' }, { user: 'alice' }]) {
      refused(() => readRevocationFilter(bad));
    }
  });

  it('operations without a body accept none or {} only', () => {
    expect(() => requireNoBody(undefined)).not.toThrow();
    expect(() => requireNoBody({})).not.toThrow();
    refused(() => requireNoBody({ kid: 'x' }));
    refused(() => requireNoBody([1]));
  });
});
