import { validateTokenOptions } from './token-options';

describe('validateTokenOptions', () => {
  it('accepts no tokens option at all', () => {
    expect(validateTokenOptions(undefined)).toEqual([]);
  });

  it.each(['accessTokenTtl', 'refreshTokenTtl', 'codeTtl'] as const)(
    'AS-22: tokens.%s must be a positive number of seconds',
    (key) => {
      for (const value of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
        // (Infinity for codeTtl is also over the 600-second cap: a second message.)
        expect(validateTokenOptions({ [key]: value })[0]).toBe(
          `tokens.${key} must be a positive number of seconds`,
        );
      }
      expect(validateTokenOptions({ [key]: 1 })).toEqual([]);
    },
  );

  it('AS-19: tokens.codeTtl may be at most 600 seconds', () => {
    expect(validateTokenOptions({ codeTtl: 600 })).toEqual([]);
    expect(validateTokenOptions({ codeTtl: 601 })).toEqual([
      'tokens.codeTtl must be at most 600 seconds (AS-19: codes are short-lived)',
    ]);
  });

  it('refuses other out-of-range settings, one message each', () => {
    expect(
      validateTokenOptions({
        refreshReuseGraceSeconds: 61,
        keyEncryptionSecret: 'too short',
        keyRotationInterval: -1,
        algorithm: 'HS256' as never,
      }),
    ).toEqual([
      'tokens.refreshReuseGraceSeconds must be between 0 and 60',
      'tokens.keyEncryptionSecret must be at least 32 characters',
      'tokens.keyRotationInterval must be 0 (never) or a positive number of seconds',
      'tokens.algorithm must be one of ES256, ES384, RS256, PS256, EdDSA',
    ]);
  });

  it('accepts the edges: no grace, no rotation', () => {
    expect(validateTokenOptions({ refreshReuseGraceSeconds: 0, keyRotationInterval: 0 })).toEqual(
      [],
    );
  });
});
