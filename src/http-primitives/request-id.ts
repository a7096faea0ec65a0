import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

export const REQUEST_ID_HEADER = "x-request-id";

/** The one rule on every protocol: the caller's x-request-id when it sent one that is not empty, else a fresh one. */
export function requestIdOf(sent: unknown): string {
  return typeof sent === "string" && sent !== "" ? sent : randomUUID();
}

/**
 * The id a request is known by (requestIdOf), written onto its headers so
 * that whatever reads them later (the answer, the log line, the RPC observer)
 * quotes the same id.
 */
export function settleRequestId(headers: IncomingHttpHeaders): string {
  const sent = headers[REQUEST_ID_HEADER];
  const id = requestIdOf(sent);
  if (id !== sent) headers[REQUEST_ID_HEADER] = id;
  return id;
}
