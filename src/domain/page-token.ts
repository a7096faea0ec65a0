import { createHmac, timingSafeEqual } from "node:crypto";
import { InvalidFieldError } from "./errors.js";

/**
 * Where the next page starts: the sort key of the last row served, as
 * (timestamp in microseconds since the epoch, resource ID).
 */
export interface PageCursor {
  readonly micros: number;
  readonly id: string;
}

// A token is `<payload>.<mac>`, both base64url. The MAC covers the scope (the
// parent and filter the token was issued for) as well as the payload, so a
// token edited by hand, or replayed against another parent or filter, fails
// the check instead of silently serving the wrong rows.
const MAC_BYTES = 16;

export function encodePageToken(cursor: PageCursor, scope: string, secret: string): string {
  const payload = Buffer.from(JSON.stringify([cursor.micros, cursor.id])).toString("base64url");
  return `${payload}.${sign(payload, scope, secret).toString("base64url")}`;
}

/** Returns the cursor a token holds, or throws INVALID_ARGUMENT-worthy errors for anything else. */
export function decodePageToken(token: string, scope: string, secret: string): PageCursor {
  const invalid = new InvalidFieldError(
    "page_token",
    "is not a token this service issued for this parent and filter; pass next_page_token unchanged, with the same parent and filter",
    "INVALID_PAGE_TOKEN",
  );
  const [payload, mac, ...rest] = token.split(".");
  if (payload === undefined || mac === undefined || rest.length > 0) throw invalid;
  const given = Buffer.from(mac, "base64url");
  const expected = sign(payload, scope, secret);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid;
  const cursor: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  // The MAC vouches for the payload, but a future change of format should
  // still fail closed rather than feed the query a malformed cursor.
  if (
    !Array.isArray(cursor) ||
    cursor.length !== 2 ||
    !Number.isSafeInteger(cursor[0]) ||
    typeof cursor[1] !== "string"
  ) {
    throw invalid;
  }
  return { micros: cursor[0] as number, id: cursor[1] };
}

function sign(payload: string, scope: string, secret: string): Buffer {
  return createHmac("sha256", secret).update(scope).update("\n").update(payload).digest().subarray(0, MAC_BYTES);
}

/** AIP-158 page size rules: 0 means the default, large values are capped, negatives are refused. */
export function effectivePageSize(requested: number, field = "page_size"): number {
  if (requested < 0) {
    throw new InvalidFieldError(field, `must not be negative (got ${requested})`, "PAGE_SIZE_NEGATIVE", { pageSize: String(requested) });
  }
  if (requested === 0) return DEFAULT_PAGE_SIZE;
  return Math.min(requested, MAX_PAGE_SIZE);
}

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
