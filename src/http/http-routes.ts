import { Code } from "@connectrpc/connect";
import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import { restError } from "../rest/rest-errors.js";

// connect-node's request and response types for HTTP/1.1 and HTTP/2 alike.
type NodeHandler = NonNullable<ConnectNodeAdapterOptions["fallback"]>;
export type HttpRequest = Parameters<NodeHandler>[0];
export type HttpResponse = Parameters<NodeHandler>[1];

/** The request's path, without its query. */
export function requestPath(request: HttpRequest): string {
  const url = request.url ?? "/";
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

/**
 * A plain HTTP endpoint beside the RPC routes (REST transcoding, /healthz,
 * /metrics...). Returns true when it took the request, false to pass it on.
 */
export type HttpRoute = (request: HttpRequest, response: HttpResponse) => boolean;

/** Offers a request to each route in turn; what none takes is a 404. */
export function chainHttpRoutes(routes: readonly HttpRoute[]): (request: HttpRequest, response: HttpResponse) => void {
  return (request, response) => {
    for (const route of routes) {
      if (route(request, response)) return;
    }
    const path = requestPath(request);
    const { httpStatus, body: error } = restError(Code.NotFound, `No route for ${request.method} ${request.url}`, "UNKNOWN_ROUTE", { path });
    const body = JSON.stringify(error);
    response.statusCode = httpStatus;
    response.setHeader("content-type", "application/json; charset=utf-8");
    response.end(body);
  };
}
