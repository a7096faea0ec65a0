import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import { parseRequestTarget, type MalformedTarget, type RequestTarget } from "./request-target.js";

// connect-node's request and response types for HTTP/1.1 and HTTP/2 alike.
type NodeHandler = NonNullable<ConnectNodeAdapterOptions["fallback"]>;
export type HttpRequest = Parameters<NodeHandler>[0];
export type HttpResponse = Parameters<NodeHandler>[1];

/** The request's target, parsed without throwing (see request-target.ts). */
export function requestTarget(request: HttpRequest): RequestTarget | MalformedTarget {
  return parseRequestTarget(request.url, "authority" in request ? request.authority : request.headers.host);
}

/** The request's path, without its query; a target that does not parse is returned as it came, matching no path. */
export function requestPath(request: HttpRequest): string {
  const target = parseRequestTarget(request.url, undefined);
  return target.malformed === undefined ? target.path : (request.url ?? "");
}

/**
 * A plain HTTP endpoint beside the RPC routes (REST transcoding, /healthz,
 * /metrics...), given the request's parsed target. Returns true when it took
 * the request, false to pass it on.
 */
export type HttpRoute = (request: HttpRequest, response: HttpResponse, target: RequestTarget) => boolean;
