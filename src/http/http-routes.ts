import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";

// connect-node's request and response types for HTTP/1.1 and HTTP/2 alike.
type NodeHandler = NonNullable<ConnectNodeAdapterOptions["fallback"]>;
export type HttpRequest = Parameters<NodeHandler>[0];
export type HttpResponse = Parameters<NodeHandler>[1];

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
    const body = JSON.stringify({ error: { code: 404, message: `No route for ${request.method} ${request.url}`, status: "NOT_FOUND" } });
    response.statusCode = 404;
    response.setHeader("content-type", "application/json; charset=utf-8");
    response.end(body);
  };
}
