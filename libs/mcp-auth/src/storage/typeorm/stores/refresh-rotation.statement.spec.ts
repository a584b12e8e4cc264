import type { RefreshTokenRotationRequest } from '../../grant-store.interface';
import {
  outcomeAfterLostRace,
  rotationOutcome,
  rotationParameters,
  type RotationRow,
} from './refresh-rotation.statement';

const AT = new Date('2024-01-02T03:04:05.000Z');
const LATER = new Date('2024-01-02T04:04:05.000Z');
const request: RefreshTokenRotationRequest = {
  tokenHash: 'old-hash',
  clientId: 'client-1',
  requestedScopes: ['mcp:tools'],
  requestedResource: undefined,
  successorHash: 'new-hash',
  successorExpiresAt: LATER,
};
/** A row for a live token of client-1 that fits the request but was not rotated. */
const row = (changes: Partial<RotationRow> = {}): RotationRow => ({
  grant_id: 'grant-1',
  client_id: 'client-1',
  subject: 'alice',
  scopes: ['mcp:tools'],
  resource: 'https://as.example.com/mcp',
  created_at: AT,
  expires_at: LATER,
  rotated_at: null,
  live: true,
  grant_revoked: false,
  client_current: true,
  scope_fits: true,
  resource_fits: true,
  rotated_now: null,
  next_hash: null,
  next_created_at: null,
  next_expires_at: null,
  ...changes,
});

describe('the refresh-rotation statement', () => {
  it('numbers its parameters $1 to $8, absent resource and client version as null', () => {
    expect(rotationParameters('https://as.example.com', request)).toEqual([
      'https://as.example.com',
      'old-hash',
      'client-1',
      ['mcp:tools'],
      null,
      'new-hash',
      LATER,
      null,
    ]);
  });

  it('reads a rotation as the previous token, rotated now, and its successor', () => {
    const outcome = rotationOutcome(
      row({
        rotated_now: LATER,
        next_hash: 'new-hash',
        next_created_at: LATER,
        next_expires_at: LATER,
      }),
      request,
    );
    expect(outcome).toEqual({
      status: 'rotated',
      previous: expect.objectContaining({ tokenHash: 'old-hash', rotatedAt: LATER, createdAt: AT }),
      next: expect.objectContaining({ tokenHash: 'new-hash', grantId: 'grant-1', rotatedAt: null }),
    });
  });

  it('tells refusals apart in the order they matter, a changed client first', () => {
    const everythingWrong = {
      client_current: false,
      grant_revoked: true,
      rotated_at: AT,
      live: false,
      scope_fits: false,
      resource_fits: false,
    };
    expect(rotationOutcome(row(everythingWrong), request)).toEqual({ status: 'client_changed' });
    const current = { ...everythingWrong, client_current: true };
    expect(rotationOutcome(row({ ...current, client_id: 'client-2' }), request)).toEqual({
      status: 'not_found',
    });
    expect(rotationOutcome(row(current), request)).toEqual({ status: 'revoked' });
    expect(rotationOutcome(row({ ...current, grant_revoked: false }), request)).toEqual({
      status: 'reused',
      grantId: 'grant-1',
      rotatedAt: AT,
    });
    expect(rotationOutcome(row({ live: false, scope_fits: false }), request)).toEqual({
      status: 'expired',
    });
    expect(rotationOutcome(row({ scope_fits: false, resource_fits: false }), request)).toEqual({
      status: 'invalid_scope',
    });
    expect(rotationOutcome(row({ resource_fits: false }), request)).toEqual({
      status: 'invalid_target',
    });
  });

  it('leaves a live, fitting token that was not rotated to a second look (a lost race)', () => {
    expect(rotationOutcome(row(), request)).toBeUndefined();
    const found = {
      tokenHash: 'old-hash',
      grantId: 'grant-1',
      clientId: 'client-1',
      subject: 'alice',
      scopes: ['mcp:tools'],
      resource: 'https://as.example.com/mcp',
      createdAt: AT,
      expiresAt: LATER,
      rotatedAt: LATER,
      grantRevoked: false,
    };
    expect(outcomeAfterLostRace(found, request)).toEqual({
      status: 'reused',
      grantId: 'grant-1',
      rotatedAt: LATER,
    });
    expect(outcomeAfterLostRace({ ...found, grantRevoked: true }, request)).toEqual({
      status: 'revoked',
    });
    expect(outcomeAfterLostRace({ ...found, rotatedAt: null }, request)).toEqual({
      status: 'expired',
    });
    expect(outcomeAfterLostRace(null, request)).toEqual({ status: 'not_found' });
    expect(outcomeAfterLostRace({ ...found, clientId: 'client-2' }, request)).toEqual({
      status: 'not_found',
    });
  });
});
