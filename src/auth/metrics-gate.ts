import type { HttpRoute } from "../http-primitives/http-request.js";
import type { Authorizer } from "./authorizer.js";

/**
 * With auth on, /metrics answers only a valid token of any role and project
 * (counts and latencies, no project's data), unless it is configured public
 * for scrapers that cannot send one. Other paths pass through untouched.
 */
export function gateMetrics(route: HttpRoute, authorizer: Authorizer, isPublic: boolean): HttpRoute {
  if (!authorizer.enabled || isPublic) return route;
  return (request, response, target) => {
    if (request.method !== "GET" || target.path !== "/metrics") return route(request, response, target);
    const authorization = request.headers.authorization;
    void authorizer.authenticate(typeof authorization === "string" ? authorization : undefined).then(
      (principal) => {
        if (principal !== undefined) {
          route(request, response, target);
          return;
        }
        response.statusCode = 401;
        response.setHeader("www-authenticate", 'Bearer realm="metrics"');
        response.setHeader("content-type", "text/plain");
        response.end("a bearer token is required\n");
      },
      () => {
        response.statusCode = 503;
        response.end("cannot verify the token\n");
      },
    );
    return true;
  };
}
