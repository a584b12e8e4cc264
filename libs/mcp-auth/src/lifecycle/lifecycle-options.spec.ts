import { validateLifecycleOptions } from './lifecycle-options';

describe('validateLifecycleOptions', () => {
  it('accepts the defaults and the edge: no clean-up', () => {
    expect(validateLifecycleOptions({})).toEqual([]);
    expect(validateLifecycleOptions({ cleanupInterval: 0, migrationsRun: true })).toEqual([]);
  });

  it.each([-5, Number.NaN])('refuses cleanupInterval %p', (cleanupInterval) => {
    expect(validateLifecycleOptions({ cleanupInterval })).toEqual([
      'cleanupInterval must be 0 (off) or a positive number of seconds',
    ]);
  });
});
