import type { HttpRoute } from "../http-primitives/http-request.js";
import type { Metrics } from "./metrics.js";

/** GET /healthz (the process answers), /readyz (the database answers) and /metrics (Prometheus). */
export function createOpsRoute(isReady: () => Promise<boolean>, metrics: Metrics): HttpRoute {
  return (request, response, { path }) => {
    if (request.method !== "GET") return false;
    const reply = (status: number, contentType: string, body: string) => {
      response.statusCode = status;
      response.setHeader("content-type", contentType);
      response.end(body);
    };
    switch (path) {
      case "/healthz":
        reply(200, "text/plain", "ok\n");
        return true;
      case "/readyz":
        void isReady().then(
          (ready) => reply(ready ? 200 : 503, "text/plain", ready ? "ready\n" : "database unavailable\n"),
          () => reply(503, "text/plain", "database unavailable\n"),
        );
        return true;
      case "/metrics":
        void metrics.registry.metrics().then(
          (text) => reply(200, metrics.registry.contentType, text),
          () => reply(500, "text/plain", "metrics unavailable\n"),
        );
        return true;
      default:
        return false;
    }
  };
}
