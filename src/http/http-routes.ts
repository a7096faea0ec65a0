import { Code } from "@connectrpc/connect";
import { restError, sendRestAnswer as send } from "../rest/rest-errors.js";
import { requestTarget, type HttpRequest, type HttpResponse, type HttpRoute } from "../http-primitives/http-request.js";
import { quoteTarget } from "../http-primitives/request-target.js";

// The route type belongs with its chain for callers that build routes.
export type { HttpRoute };

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
