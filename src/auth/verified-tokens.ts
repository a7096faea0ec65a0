import type { Principal } from "./principal.js";

// JWTs whose signature and claims were checked, with the principal they stand
// for, so a client sending the same token on every call (and every call
// checking it twice: before it is read, then with its request) pays for one
// signature check, not one per check. Bounded in size and in time.

export interface VerifiedTokensOptions {
  /** Most tokens remembered at once; past it the oldest is forgotten, so memory stays bounded whatever callers send. */
  readonly maxEntries?: number;
  /** Longer tokens are not remembered (they are verified every time), so entries × this bounds the memory held. */
  readonly maxTokenLength?: number;
  /** Longest a token is remembered, in milliseconds, however far off its `exp`: keys can change without a reload (an issuer rotating its published keys). */
  readonly maxAgeMs?: number;
  /** The clock, in milliseconds since the epoch; tests move it to see entries expire. */
  readonly now?: () => number;
}

/** When a verified token may be used, from its claims (seconds since the epoch, as in a JWT). */
export interface TokenLifetime {
  readonly exp?: number | undefined;
  readonly nbf?: number | undefined;
}

export interface VerifiedTokens {
  /** The principal of a token remembered and within its lifetime now; undefined otherwise. */
  recall(token: string): Principal | undefined;
  /** Remembers a token that verified, until its `exp` or maxAgeMs from now, whichever comes first. */
  remember(token: string, principal: Principal, lifetime: TokenLifetime): void;
  /** Forgets every token: the keys they were checked with may be gone. */
  clear(): void;
  /** How many tokens are remembered. */
  readonly size: number;
}

interface Entry {
  readonly principal: Principal;
  /** Milliseconds since the epoch: usable from `from` (inclusive) until `until` (exclusive). */
  readonly from: number;
  readonly until: number;
}

// At most ~40 MB of tokens (about 10 MB with the usual 1 kB ones); headers may
// carry 16 kB, so the length bound is what keeps that figure. A minute spares a
// busy client all but one check a minute, and bounds how long a key withdrawn
// without a reload is still honoured.
const DEFAULT_MAX_ENTRIES = 10_000;
const DEFAULT_MAX_TOKEN_LENGTH = 4096;
const DEFAULT_MAX_AGE_MS = 60_000;

export function createVerifiedTokens(options: VerifiedTokensOptions = {}): VerifiedTokens {
  const { maxEntries = DEFAULT_MAX_ENTRIES, maxTokenLength = DEFAULT_MAX_TOKEN_LENGTH, maxAgeMs = DEFAULT_MAX_AGE_MS, now = Date.now } = options;
  // A Map iterates in insertion order, so its first key is the oldest entry.
  const entries = new Map<string, Entry>();
  return {
    recall(token) {
      const entry = entries.get(token);
      if (entry === undefined) return undefined;
      const at = now();
      if (at >= entry.until) {
        entries.delete(token);
        return undefined;
      }
      // Before nbf (accepted within the verifier's clock tolerance, or the clock stepped back): the verifier decides.
      return at >= entry.from ? entry.principal : undefined;
    },
    remember(token, principal, { exp, nbf }) {
      // A token without exp would be remembered on the cap alone; the verifier requires exp, so none comes here.
      if (exp === undefined || token.length > maxTokenLength) return;
      const at = now();
      // exp and nbf exactly, without the verifier's clock tolerance: a token is
      // never recalled when the verifier would refuse it; near the edges the
      // verifier decides, with its tolerance.
      const until = Math.min(exp * 1000, at + maxAgeMs);
      const from = nbf === undefined ? Number.NEGATIVE_INFINITY : nbf * 1000;
      if (until <= at) return;
      entries.delete(token);
      if (entries.size >= maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
      entries.set(token, { principal, from, until });
    },
    clear() {
      entries.clear();
    },
    get size() {
      return entries.size;
    },
  };
}
