import { Logger } from '@nestjs/common';
import type { RevocationEntry } from '../../storage/grant-store.interface';
import { RevocationList, type RevocationNotificationSource } from './revocation-list';

const ISSUER = 'https://mcp.example.com';

class FakeStore {
  entries: RevocationEntry[] = [];
  calls: Date[] = [];
  failing = false;

  async listRevocationsSince(since: Date): Promise<RevocationEntry[]> {
    this.calls.push(since);
    if (this.failing) throw new Error('database down');
    return this.entries.filter((entry) => entry.revokedAt >= since);
  }
}

class FakeNotifications implements RevocationNotificationSource {
  handlers: Parameters<RevocationNotificationSource['start']>[0] | undefined;
  stopped = false;

  async start(handlers: Parameters<RevocationNotificationSource['start']>[0]): Promise<boolean> {
    this.handlers = handlers;
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }

  send(payload: object | string): void {
    this.handlers?.onNotification(typeof payload === 'string' ? payload : JSON.stringify(payload));
  }
}

describe('RevocationList', () => {
  let store: FakeStore;
  let notifications: FakeNotifications;
  let list: RevocationList;

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(() => {
    store = new FakeStore();
    notifications = new FakeNotifications();
    list = new RevocationList(
      store,
      { issuer: ISSUER, retention: 600, pollInterval: 3600, overlap: 30 },
      notifications,
    );
  });

  afterEach(async () => {
    await list.stop();
    jest.useRealTimers();
  });

  it('loads revocations still relevant at start (design: deny-list filled at start-up)', async () => {
    const now = Date.now();
    store.entries = [
      { kind: 'grant', id: 'g-recent', revokedAt: new Date(now - 10_000) },
      { kind: 'access_token', id: 'j-recent', revokedAt: new Date(now - 500_000) },
      { kind: 'grant', id: 'g-ancient', revokedAt: new Date(now - 2_000_000) },
    ];
    await list.start();
    // Asked for everything a live token could be affected by: retention plus overlap back.
    expect(now - store.calls[0].getTime()).toBeGreaterThanOrEqual(630_000);
    expect(list.isRevoked(undefined, 'g-recent')).toBe(true);
    expect(list.isRevoked('j-recent', undefined)).toBe(true);
    expect(list.isRevoked(undefined, 'g-ancient')).toBe(false);
    expect(list.isRevoked('g-recent', undefined)).toBe(false);
    expect(list.isRevoked(undefined, undefined)).toBe(false);
  });

  it('refuses to start when the first read fails: serving without it would honour revoked tokens', async () => {
    store.failing = true;
    await expect(list.start()).rejects.toThrow('database down');
  });

  it('applies notifications for its own issuer only, ignoring garbage', async () => {
    await list.start();
    notifications.send({ issuer: ISSUER, kind: 'grant', id: 'g1' });
    notifications.send({ issuer: ISSUER, kind: 'access_token', id: 'j1' });
    notifications.send({ issuer: 'https://other.example', kind: 'grant', id: 'g2' });
    notifications.send({ issuer: ISSUER, kind: 'refresh_token', id: 'r1' });
    notifications.send({ issuer: ISSUER, kind: 'grant', id: 42 });
    notifications.send('not json');
    notifications.send('null');
    expect(list.isRevoked(undefined, 'g1')).toBe(true);
    expect(list.isRevoked('j1', undefined)).toBe(true);
    expect(list.isRevoked(undefined, 'g2')).toBe(false);
    expect(list.size).toBe(2);
    expect(list.isListening).toBe(true);
  });

  it('catches up by polling, re-reading an overlap before the previous poll', async () => {
    await list.start();
    const before = Date.now();
    store.entries.push({ kind: 'grant', id: 'g-late', revokedAt: new Date(before - 5_000) });
    await list.poll();
    expect(list.isRevoked(undefined, 'g-late')).toBe(true);
    const since = store.calls[1].getTime();
    expect(before - since).toBeGreaterThanOrEqual(30_000);
    expect(before - since).toBeLessThan(31_000);
  });

  it('polls after a notification gap (reconnect)', async () => {
    await list.start();
    store.entries.push({ kind: 'access_token', id: 'j-gap', revokedAt: new Date() });
    notifications.handlers?.onGap();
    await list.poll();
    expect(list.isRevoked('j-gap', undefined)).toBe(true);
  });

  it('keeps what it knows when a poll fails, and reads from the old point afterwards', async () => {
    await list.start();
    notifications.send({ issuer: ISSUER, kind: 'grant', id: 'g1' });
    const firstSince = store.calls[0];
    store.failing = true;
    await list.poll();
    expect(list.isRevoked(undefined, 'g1')).toBe(true);
    store.failing = false;
    await list.poll();
    // The failed poll did not advance the window.
    expect(store.calls[2].getTime()).toBeGreaterThan(firstSince.getTime());
    expect(store.calls[2].getTime()).toBe(store.calls[1].getTime());
  });

  it('forgets entries once no token they refuse can still be alive', async () => {
    jest.useFakeTimers({ now: Date.now(), doNotFake: ['nextTick', 'setImmediate'] });
    await list.start();
    list.add('grant', 'g1');
    expect(list.isRevoked(undefined, 'g1')).toBe(true);
    jest.setSystemTime(Date.now() + 601_000);
    expect(list.isRevoked(undefined, 'g1')).toBe(false);
    expect(list.size).toBe(0);
  });

  it('tells onArrival how late each new revocation arrived, not those of the first load', async () => {
    const lags: number[] = [];
    const now = Date.now();
    store.entries.push({ kind: 'grant', id: 'old-grant', revokedAt: new Date(now - 60_000) });
    const measured = new RevocationList(
      store,
      {
        issuer: ISSUER,
        retention: 600,
        pollInterval: 3600,
        onArrival: (lag) => lags.push(lag),
      },
      notifications,
    );
    await measured.start();
    expect(lags).toEqual([]);

    // The database's revocation time travels in the notification (`at`, epoch ms).
    notifications.send({ issuer: ISSUER, kind: 'grant', id: 'g-new', at: Date.now() - 2_000 });
    expect(lags).toHaveLength(1);
    expect(lags[0]).toBeGreaterThanOrEqual(2);
    expect(lags[0]).toBeLessThan(3);
    // Seen again (the catch-up poll): not a second arrival.
    notifications.send({ issuer: ISSUER, kind: 'grant', id: 'g-new', at: Date.now() - 2_000 });
    // Without `at` (or one in the future), it counts from now.
    notifications.send({ issuer: ISSUER, kind: 'access_token', id: 'jti-1' });
    notifications.send({
      issuer: ISSUER,
      kind: 'access_token',
      id: 'jti-2',
      at: Date.now() + 60_000,
    });
    expect(lags).toHaveLength(3);
    expect(lags[1]).toBeLessThan(1);
    expect(lags[2]).toBeLessThan(1);
    expect(measured.isRevoked('jti-2', undefined)).toBe(true);
    await measured.stop();
  });

  it('shares concurrent polls', async () => {
    await list.start();
    await Promise.all([list.poll(), list.poll(), list.poll()]);
    expect(store.calls).toHaveLength(2);
  });

  it('stops its notifications on module destroy', async () => {
    await list.start();
    await list.onModuleDestroy();
    expect(notifications.stopped).toBe(true);
    expect(list.isListening).toBe(false);
  });

  it('works without notifications (polling only)', async () => {
    const polling = new RevocationList(store, { issuer: ISSUER, retention: 60, pollInterval: 1 });
    await polling.start();
    expect(polling.isListening).toBe(false);
    await polling.stop();
  });
});
