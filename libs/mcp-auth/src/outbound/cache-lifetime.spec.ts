import { cacheLifetimeSeconds } from './cache-lifetime';
import type { CacheHeaders, CacheLifetimeBounds } from './cache-lifetime';

const NOW = new Date('2025-06-01T12:00:00Z');
const at = (offsetSeconds: number) => new Date(NOW.getTime() + offsetSeconds * 1000).toUTCString();

describe('cacheLifetimeSeconds (defaults: min 60 s, max 24 h)', () => {
  it.each<[string, CacheHeaders, number]>([
    ['no headers → minimum', {}, 60],
    ['max-age within bounds', { cacheControl: 'max-age=600' }, 600],
    ['max-age, upper case and spaces', { cacheControl: ' Public , MAX-AGE = 3600 ' }, 3600],
    ['quoted max-age', { cacheControl: 'max-age="900"' }, 900],
    ['max-age below the minimum', { cacheControl: 'max-age=5' }, 60],
    ['max-age=0', { cacheControl: 'max-age=0' }, 60],
    ['max-age above the maximum', { cacheControl: 'max-age=31536000' }, 86_400],
    ['huge max-age', { cacheControl: 'max-age=99999999999999999999999' }, 86_400],
    ['no-store', { cacheControl: 'no-store, max-age=600' }, 60],
    ['no-cache', { cacheControl: 'max-age=600, no-cache' }, 60],
    ['no-cache with a field name', { cacheControl: 'no-cache="set-cookie", max-age=600' }, 60],
    ['invalid max-age → stale', { cacheControl: 'max-age=abc' }, 60],
    ['negative max-age → stale', { cacheControl: 'max-age=-5' }, 60],
    ['duplicate max-age → stale', { cacheControl: 'max-age=600, max-age=900' }, 60],
    ['s-maxage ignored', { cacheControl: 's-maxage=7200' }, 60],
    ['s-maxage ignored beside max-age', { cacheControl: 's-maxage=7200, max-age=300' }, 300],
    ['private does not matter', { cacheControl: 'private, max-age=300' }, 300],
    ['max-age wins over Expires', { cacheControl: 'max-age=300', expires: at(7200) }, 300],
    ['Expires minus Date', { expires: at(1800), date: at(0) }, 1800],
    ['Expires minus Date, skewed clock', { expires: at(4000), date: at(1000) }, 3000],
    ['Expires minus now without Date', { expires: at(1200) }, 1200],
    ['Expires minus now with invalid Date', { expires: at(1200), date: 'garbage' }, 1200],
    ['Expires in the past', { expires: at(-100), date: at(0) }, 60],
    ['invalid Expires ("0") → stale', { expires: '0' }, 60],
    ['Expires beyond the maximum', { expires: at(10 * 86_400), date: at(0) }, 86_400],
    ['Age is subtracted', { cacheControl: 'max-age=600', age: '100' }, 500],
    ['Age beyond the lifetime', { cacheControl: 'max-age=600', age: '1000' }, 60],
    ['invalid Age ignored', { cacheControl: 'max-age=600', age: 'x' }, 600],
    ['unknown directives ignored', { cacheControl: 'immutable, max-age=120, foo' }, 120],
  ])('%s', (_label, headers, expected) => {
    expect(cacheLifetimeSeconds(headers, NOW)).toBe(expected);
  });
});

describe('cacheLifetimeSeconds with custom bounds', () => {
  it.each<[string, CacheHeaders, CacheLifetimeBounds, number]>([
    ['minimum 0: no-store means 0', { cacheControl: 'no-store' }, { minSeconds: 0 }, 0],
    ['minimum 0: max-age=0 means 0', { cacheControl: 'max-age=0' }, { minSeconds: 0 }, 0],
    ['custom minimum', {}, { minSeconds: 300 }, 300],
    ['custom maximum', { cacheControl: 'max-age=7200' }, { maxSeconds: 3600 }, 3600],
    [
      'maximum below minimum → minimum',
      { cacheControl: 'max-age=7200' },
      { minSeconds: 600, maxSeconds: 10 },
      600,
    ],
  ])('%s', (_label, headers, bounds, expected) => {
    expect(cacheLifetimeSeconds(headers, NOW, bounds)).toBe(expected);
  });
});
