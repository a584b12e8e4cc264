import { validateStorageOptions } from './storage-options';

describe('validateStorageOptions', () => {
  it.each([undefined, {}, { preparedStatements: true }, { preparedStatements: false }])(
    'accepts %j',
    (storage) => {
      expect(validateStorageOptions(storage)).toEqual([]);
    },
  );

  it('refuses a preparedStatements that is not a boolean', () => {
    const loose = { preparedStatements: 'false' } as unknown as { preparedStatements: boolean };
    expect(validateStorageOptions(loose)).toEqual([
      'storage.preparedStatements must be true or false',
    ]);
  });
});
