import { InvalidGrantListQueryError } from '../../grant-store.interface';
import { isUuid } from './uuid';

/** Where a page of grants ends: the last grant's creation time (microseconds, UTC) and id. */
export interface GrantListPosition {
  /** `YYYY-MM-DDTHH:MM:SS.ffffffZ`, as Postgres stores it (a JS Date would lose microseconds). */
  createdAt: string;
  id: string;
}

const CREATED_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
/** A cursor is ~60 characters; anything far longer is not ours. */
const MAX_CURSOR_LENGTH = 200;

/** Opaque to callers: base64url of `<createdAt>|<id>`. */
export function encodeGrantCursor(position: GrantListPosition): string {
  return Buffer.from(`${position.createdAt}|${position.id}`, 'utf8').toString('base64url');
}

export function decodeGrantCursor(cursor: string): GrantListPosition {
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw new InvalidGrantListQueryError('invalid cursor');
  }
  const [createdAt, id, extra] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (extra !== undefined || !createdAt || !id || !CREATED_AT.test(createdAt) || !isUuid(id)) {
    throw new InvalidGrantListQueryError('invalid cursor');
  }
  if (Number.isNaN(Date.parse(createdAt))) throw new InvalidGrantListQueryError('invalid cursor');
  return { createdAt, id };
}
