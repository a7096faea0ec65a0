import type { ConnectError } from "@connectrpc/connect";
import { parseRpcPath } from "../http-primitives/rpc-path.js";
import type { Authorizer } from "./authorizer.js";
import { denialError, type DenialListener } from "./call-guard.js";
import { isOpenService } from "./method-access.js";

// The first check on a request with auth on, made before it is routed or
// read: without valid credentials it is refused as UNAUTHENTICATED (or
// UNAVAILABLE when a JWT's keys cannot be fetched), so a caller learns nothing
// from how its request would have failed (an unknown route, a body that does
// not parse). What a valid token may touch is decided per call, from the
// decoded request, by the call guard.

export interface CredentialsGate {
  /** Whether a request to this path (without its query) is served without credentials. */
  isPublic(path: string): boolean;
  /** The status a request to `path` with this authorization header is refused with, or undefined when it may go on. */
  check(path: string, authorization: string | undefined): Promise<ConnectError | undefined>;
}

// Probes, the console's files (the page asks for a token itself) and
// /metrics, which has a gate of its own (metrics-gate.ts).
const PUBLIC_PATHS = new Set(["/healthz", "/readyz", "/metrics", "/console"]);

export function createCredentialsGate(authorizer: Authorizer, onDenial: DenialListener): CredentialsGate {
  const isPublic = (path: string): boolean => {
    if (PUBLIC_PATHS.has(path) || path.startsWith("/console/")) return true;
    // Health checks and reflection, which load balancers and tools call without credentials.
    const rpc = parseRpcPath(path);
    return rpc !== undefined && isOpenService(rpc.service);
  };
  return {
    isPublic,
    async check(path, authorization) {
      if (!authorizer.enabled || isPublic(path)) return undefined;
      const decision = await authorizer.admit(authorization);
      if (decision.allowed) return undefined;
      onDenial(decision, parseRpcPath(path) ?? { path });
      return denialError(decision);
    },
  };
}
