import { ValidationError } from './errors.ts';

/**
 * The one cursor format of every paginated list: base64url of a position string the list chose (a name,
 * an id, `<createdAt>|<id>`). Opaque to clients; `decodeCursor` refuses anything this API did not write.
 */
export function encodeCursor(position: string): string {
  return Buffer.from(position, 'utf8').toString('base64url');
}

/** The 400 every list answers to a cursor it did not write. */
export function invalidCursor(): ValidationError {
  return new ValidationError('Invalid cursor', [{ path: 'cursor', message: 'not a cursor from this API' }]);
}

/**
 * The position inside a cursor made by `encodeCursor`, when it matches `shape`; undefined for no cursor.
 * Non-canonical base64url (padding, stray characters, trailing bits) and any other position are a 400.
 */
export function decodeCursor(cursor: string | undefined, shape: RegExp): string | undefined {
  if (cursor === undefined) return undefined;
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) throw invalidCursor();
  const position = Buffer.from(cursor, 'base64url').toString('utf8');
  if (encodeCursor(position) !== cursor || !shape.test(position)) throw invalidCursor();
  return position;
}

/** A numeric (bigint id) cursor such as the audit log's and the event stream's: digits only, else 400. */
export function decodeNumericCursor(cursor: string | undefined): bigint | undefined {
  if (cursor === undefined) return undefined;
  if (!/^\d{1,18}$/.test(cursor)) throw invalidCursor();
  return BigInt(cursor);
}
