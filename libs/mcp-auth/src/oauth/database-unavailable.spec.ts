import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailableError } from './database-unavailable';
import { OAuthExceptionFilter } from '../http/oauth-exception.filter';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailableError', () => {
  it.each([
    ['a refused connection', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a reset connection', withCode('read ECONNRESET', 'ECONNRESET')],
    ['a dropped connection', new Error('Connection terminated unexpectedly')],
    ['a pool timeout', new Error('timeout exceeded when trying to connect')],
    [
      'an admin shutdown (57P01)',
      withCode('terminating connection due to administrator command', '57P01'),
    ],
    ['a connection failure (08006)', withCode('connection failure', '08006')],
    ['too many connections (53300)', withCode('sorry, too many clients already', '53300')],
    [
      'a QueryFailedError wrapping a dropped connection',
      new QueryFailedError('SELECT 1', [], new Error('Connection terminated unexpectedly')),
    ],
    [
      'a dual-stack AggregateError',
      new AggregateError([withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')], ''),
    ],
    ['an error caused by one', new Error('store failed', { cause: withCode('x', 'ETIMEDOUT') })],
  ])('recognizes %s', (_label, error) => {
    expect(isDatabaseUnavailableError(error)).toBe(true);
  });

  it.each([
    ['a unique violation', new QueryFailedError('INSERT', [], withCode('duplicate key', '23505'))],
    ['a bad byte sequence', withCode('invalid byte sequence for encoding "UTF8": 0x00', '22021')],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['a string', 'ECONNREFUSED'],
    ['null', null],
  ])('does not take %s for an outage', (_label, error) => {
    expect(isDatabaseUnavailableError(error)).toBe(false);
  });

  it('OAuthExceptionFilter answers an outage with 503 temporarily_unavailable and Retry-After', () => {
    const filter = new OAuthExceptionFilter();
    jest.spyOn(filter['logger'], 'warn').mockImplementation(() => undefined);
    const response = filter.toResponse(
      new QueryFailedError('SELECT $1', ['secret-parameter'], new Error('Connection terminated')),
    );
    expect(response).toEqual({
      status: 503,
      body: {
        error: 'temporarily_unavailable',
        error_description: 'The server is temporarily unavailable; retry later.',
      },
      headers: { 'Retry-After': '5' },
    });
  });

  it('logs an outage without the query parameters', () => {
    const filter = new OAuthExceptionFilter();
    const warn = jest.spyOn(filter['logger'], 'warn').mockImplementation(() => undefined);
    filter.toResponse(
      new QueryFailedError('SELECT $1', ['secret-parameter'], new Error('Connection terminated')),
    );
    expect(warn.mock.calls.flat().join(' ')).not.toContain('secret-parameter');
  });
});
