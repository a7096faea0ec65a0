import { randomBytes } from "node:crypto";

const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/**
 * A fresh resource ID: a letter, then 128 random bits in base64url, 23
 * characters in all. URL-safe, unguessable, and valid as a client-chosen ID.
 */
export function generateId(): string {
  const bytes = randomBytes(17);
  const first = LETTERS[(bytes[16] ?? 0) % LETTERS.length];
  return `${first}${bytes.subarray(0, 16).toString("base64url").slice(0, 22)}`;
}
