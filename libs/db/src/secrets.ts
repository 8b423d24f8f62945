import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new bearer token: a readable kind prefix and 256 random bits. */
export function newToken(prefix: 'mh' | 'mm'): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(9).toString('base64url').replace(/[-_]/g, 'x')}`;
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Compares two secrets in time independent of where they differ. */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(hashToken(a), hashToken(b));
}
