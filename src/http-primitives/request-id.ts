import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

export const REQUEST_ID_HEADER = "x-request-id";

/**
 * The id a request is known by: the caller's x-request-id, else a fresh one,
 * written onto its headers so that whatever reads them later (the answer, the
 * log line, the RPC observer) quotes the same id.
 */
export function settleRequestId(headers: IncomingHttpHeaders): string {
  const sent = headers[REQUEST_ID_HEADER];
  if (typeof sent === "string" && sent !== "") return sent;
  const fresh = randomUUID();
  headers[REQUEST_ID_HEADER] = fresh;
  return fresh;
}
