import { randomFillSync } from "node:crypto";

const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ID_BYTES = 17;

// Random bytes for 256 IDs are drawn at once, as crypto.randomUUID does for
// its own: drawing 17 bytes per ID cost a call into OpenSSL and a new Buffer
// on every create. The bytes are used once each, never handed out again.
const entropy = Buffer.alloc(ID_BYTES * 256);
let next = entropy.length;

/**
 * A fresh resource ID: a letter, then 128 random bits in base64url, 23
 * characters in all. URL-safe, unguessable, and valid as a client-chosen ID.
 */
export function generateId(): string {
  if (next === entropy.length) {
    randomFillSync(entropy);
    next = 0;
  }
  const start = next;
  next += ID_BYTES;
  const first = LETTERS[(entropy[start + 16] ?? 0) % LETTERS.length];
  return `${first}${entropy.toString("base64url", start, start + 16)}`;
}
