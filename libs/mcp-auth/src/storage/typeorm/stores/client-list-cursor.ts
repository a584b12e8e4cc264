import { InvalidClientListQueryError } from '../../client-store.interface';

const PREFIX = 'c1|';
/** Client ids are URLs at most (metadata documents); a cursor far longer is not ours. */
const MAX_CURSOR_LENGTH = 4096;

/** Opaque to callers: base64url of `c1|<client_id>`, the last client of the page. */
export function encodeClientCursor(clientId: string): string {
  return Buffer.from(`${PREFIX}${clientId}`, 'utf8').toString('base64url');
}

/** The client_id a cursor continues after. @throws InvalidClientListQueryError */
export function decodeClientCursor(cursor: string): string {
  if (
    typeof cursor !== 'string' ||
    cursor.length === 0 ||
    cursor.length > MAX_CURSOR_LENGTH ||
    !/^[A-Za-z0-9_-]+$/.test(cursor)
  ) {
    throw new InvalidClientListQueryError('invalid cursor');
  }
  const bytes = Buffer.from(cursor, 'base64url');
  const text = bytes.toString('utf8');
  // Round trip: rejects padding tricks and bytes that are not UTF-8.
  if (Buffer.from(text, 'utf8').toString('base64url') !== cursor || !text.startsWith(PREFIX)) {
    throw new InvalidClientListQueryError('invalid cursor');
  }
  const clientId = text.slice(PREFIX.length);
  // Postgres text cannot hold NUL; no client id has control characters.
  if (clientId.length === 0 || hasControlCharacter(clientId)) {
    throw new InvalidClientListQueryError('invalid cursor');
  }
  return clientId;
}

/** Whether text holds a C0 control character or DEL (no identifier does). */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
