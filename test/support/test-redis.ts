import { spawnSync } from 'node:child_process';

/** The Redis the tests use: REDIS_URL, or the local one that CI starts. */
export function redisUrl(): string {
  return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}

// Sends PING (with AUTH first when the URL has a password) and waits for +PONG, 2 s at most.
const PROBE = `
const url = new URL(process.argv[1]);
const socket = require('node:net').connect(Number(url.port || 6379), url.hostname || '127.0.0.1');
const timer = setTimeout(() => process.exit(1), 2000);
let buffer = '';
socket.on('connect', () => {
  const password = decodeURIComponent(url.password);
  const user = decodeURIComponent(url.username);
  if (password) socket.write(user ? 'AUTH ' + user + ' ' + password + '\\r\\n' : 'AUTH ' + password + '\\r\\n');
  socket.write('PING\\r\\n');
});
socket.on('data', (data) => {
  buffer += data;
  if (buffer.includes('+PONG')) { clearTimeout(timer); socket.end(); process.exit(0); }
  if (buffer.startsWith('-')) process.exit(1);
});
socket.on('error', () => process.exit(1));
`;

/**
 * Whether Redis answers, decided synchronously so a suite can choose `describe` or
 * `describe.skip` (jest collects tests before any hook runs). Logs a clear warning when not.
 */
export function redisReachable(suite: string): boolean {
  const url = redisUrl();
  const probe = spawnSync(process.execPath, ['-e', PROBE, url], { timeout: 5000 });
  if (probe.status === 0) return true;
  const where = new URL(url);
  console.warn(
    `${suite}: Redis cases skipped, no Redis answers at ${where.hostname}:${where.port || 6379} ` +
      '(set REDIS_URL, or start one: redis-server --daemonize yes)',
  );
  return false;
}
