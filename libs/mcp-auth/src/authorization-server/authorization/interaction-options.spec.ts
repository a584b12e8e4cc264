import { validateAuthorizationInteractionOptions } from './interaction-options';

describe('validateAuthorizationInteractionOptions', () => {
  it('accepts the defaults and every documented setting', () => {
    expect(validateAuthorizationInteractionOptions({})).toEqual([]);
    expect(
      validateAuthorizationInteractionOptions({
        interaction: { type: 'built-in', serviceName: 'Example' },
        consent: { rememberForPublicClients: true },
        interactionTtl: 120,
      }),
    ).toEqual([]);
    expect(
      validateAuthorizationInteractionOptions({
        interaction: { type: 'external', loginUrl: '/login' },
      }),
    ).toEqual([]);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses interactionTtl %p',
    (interactionTtl) => {
      expect(validateAuthorizationInteractionOptions({ interactionTtl })).toEqual([
        'interactionTtl must be a positive number of seconds',
      ]);
    },
  );

  it('an external interaction needs a loginUrl', () => {
    expect(
      validateAuthorizationInteractionOptions({ interaction: { type: 'external', loginUrl: '' } }),
    ).toEqual(['interaction.loginUrl is required when interaction.type is "external"']);
  });

  it('AS-17: refuses a consent.rememberForPublicClients that is not a boolean', () => {
    const loose = { rememberForPublicClients: 'yes' } as unknown as {
      rememberForPublicClients: boolean;
    };
    expect(validateAuthorizationInteractionOptions({ consent: loose })).toEqual([
      'consent.rememberForPublicClients must be true or false',
    ]);
  });
});
