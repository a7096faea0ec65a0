import { cors as connectCors } from "@connectrpc/connect";
import type { HttpRequest, HttpResponse } from "../http-primitives/http-request.js";

/** Which browser origins may call the service. */
export type OriginPolicy = { readonly kind: "any" } | { readonly kind: "list"; readonly origins: readonly string[] } | { readonly kind: "loopback" };

// Headers Connect, gRPC-Web and Google's clients send, and those a browser
// client must be able to read back (status and error details of gRPC-Web).
const ALLOWED_HEADERS = [...connectCors.allowedHeaders, "Authorization", "X-Goog-Request-Params", "X-Goog-Api-Client", "X-Request-Id", "X-Server-Timeout"];
const EXPOSED_HEADERS = [...connectCors.exposedHeaders, "X-Request-Id"];
const ALLOWED_METHODS = [...new Set([...connectCors.allowedMethods, "GET", "POST", "PATCH", "DELETE"])];

const LOOPBACK_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/;

export function isOriginAllowed(policy: OriginPolicy, origin: string): boolean {
  switch (policy.kind) {
    case "any":
      return true;
    case "loopback":
      return LOOPBACK_ORIGIN.test(origin);
    case "list":
      return policy.origins.includes(origin);
  }
}

/**
 * Adds CORS headers for allowed origins and answers preflight requests;
 * returns true when the request was a preflight and has been answered.
 */
export function applyCors(policy: OriginPolicy, request: HttpRequest, response: HttpResponse): boolean {
  const origin = request.headers.origin;
  if (typeof origin !== "string") return false;
  const allowed = isOriginAllowed(policy, origin);
  const isPreflight = request.method === "OPTIONS" && request.headers["access-control-request-method"] !== undefined;
  if (allowed) {
    response.setHeader("access-control-allow-origin", origin);
    response.setHeader("vary", "Origin");
    response.setHeader("access-control-expose-headers", EXPOSED_HEADERS.join(", "));
  }
  if (!isPreflight) return false;
  if (allowed) {
    response.setHeader("access-control-allow-methods", ALLOWED_METHODS.join(", "));
    response.setHeader("access-control-allow-headers", ALLOWED_HEADERS.join(", "));
    response.setHeader("access-control-max-age", "7200");
  }
  response.statusCode = allowed ? 204 : 403;
  response.end();
  return true;
}
