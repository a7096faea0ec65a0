import { Code } from "@connectrpc/connect";
import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import { restError, type RestError } from "../rest/rest-errors.js";
import { parseRequestTarget, quoteTarget, type MalformedTarget, type RequestTarget } from "./request-target.js";

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

/**
 * Offers a request to each route in turn; what none takes is a 404. A target
 * that does not parse is a 400, and a route that throws is a 500 reported to
 * `onInternalError`, so neither a client's bytes nor a bug ends the process.
 */
export function chainHttpRoutes(
  routes: readonly HttpRoute[],
  onInternalError: (error: unknown) => void,
): (request: HttpRequest, response: HttpResponse) => void {
  return (request, response) => {
    const target = requestTarget(request);
    if (target.malformed !== undefined) {
      return send(response, restError(Code.InvalidArgument, `The request cannot be served: ${target.malformed}`, "MALFORMED_REQUEST_TARGET"));
    }
    try {
      for (const route of routes) {
        if (route(request, response, target)) return;
      }
    } catch (error) {
      onInternalError(error);
      if (response.headersSent) response.destroy();
      else send(response, restError(Code.Internal, "The request could not be served", "INTERNAL_ERROR"));
      return;
    }
    send(response, restError(Code.NotFound, `No route for ${request.method} ${quoteTarget(target.path)}`, "UNKNOWN_ROUTE", { path: target.path }));
  };
}

function send(response: HttpResponse, { httpStatus, body }: RestError): void {
  response.statusCode = httpStatus;
  response.setHeader("content-type", "application/json; charset=utf-8");
  response.end(JSON.stringify(body));
}
