/**
 * The session cookie's value: an opaque random id with an HMAC, so a forged
 * or tampered cookie is rejected before any store lookup. Values that
 * verified once are remembered (bounded), so a busy session costs one HMAC,
 * not one per request.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new session id: 256 random bits, base64url. */
export function generateId(): string {
  return randomBytes(32).toString('base64url');
}

const mac = (id: string, key: string): string => createHmac('sha256', key).update(id).digest('base64url');

/** `id.mac`, signed with the first key. */
export function signId(id: string, keys: readonly string[]): string {
  return `${id}.${mac(id, keys[0]!)}`;
}

const ID = /^[A-Za-z0-9_-]{43}$/;
const verified = new Map<string, { keys: readonly string[]; id: string }>();

/** The id inside a signed cookie value when its MAC verifies under any key, else `undefined`. */
export function verifySignedId(value: string | undefined, keys: readonly string[]): string | undefined {
  if (!value || value.length > 200) return undefined;
  const hit = verified.get(value);
  if (hit && hit.keys === keys) return hit.id;
  const dot = value.indexOf('.');
  if (dot < 0) return undefined;
  const id = value.slice(0, dot);
  if (!ID.test(id)) return undefined;
  const given = Buffer.from(value.slice(dot + 1));
  for (const key of keys) {
    const expected = Buffer.from(mac(id, key));
    if (expected.length === given.length && timingSafeEqual(expected, given)) {
      verified.set(value, { keys, id });
      if (verified.size > 10_000) verified.delete(verified.keys().next().value as string);
      return id;
    }
  }
  return undefined;
}
