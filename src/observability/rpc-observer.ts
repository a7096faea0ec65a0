import { randomUUID } from "node:crypto";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import type { Metrics } from "./metrics.js";

/** Set by the REST route on the calls it transcodes, so logs can tell REST from the RPC protocols. */
export const REST_MARKER_HEADER = "x-transcoded-from-rest";

export const REQUEST_ID_HEADER = "x-request-id";

function protocolOf(header: Headers): string {
  if (header.has(REST_MARKER_HEADER)) return "rest";
  const contentType = header.get("content-type") ?? "";
  if (contentType.startsWith("application/grpc-web")) return "grpc-web";
  if (contentType.startsWith("application/grpc")) return "grpc";
  return "connect";
}

/**
 * One log line and one metrics sample per RPC, with a request id: the
 * caller's x-request-id when it sent one, else a fresh one; echoed back in
 * the response headers either way.
 */
export function rpcObserver(log: Logger, metrics: Metrics): Interceptor {
  return (next) => async (request) => {
    const started = process.hrtime.bigint();
    const requestId = request.header.get(REQUEST_ID_HEADER) ?? randomUUID();
    let code = "ok";
    try {
      const response = await next(request);
      response.header.set(REQUEST_ID_HEADER, requestId);
      return response;
    } catch (error) {
      const connectError = ConnectError.from(error);
      code = Code[connectError.code];
      connectError.metadata.set(REQUEST_ID_HEADER, requestId);
      throw connectError;
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const service = request.service.typeName;
      const method = request.method.name;
      metrics.observeRpc(service, method, code, seconds);
      log.info(
        { service, method, protocol: protocolOf(request.header), code, durationMs: Math.round(seconds * 1e6) / 1000, requestId },
        "rpc",
      );
    }
  };
}
