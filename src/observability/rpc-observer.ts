import { randomUUID } from "node:crypto";
import { ConnectError, createContextKey, type Code, type Interceptor } from "@connectrpc/connect";
import { REQUEST_ID_HEADER } from "../http-primitives/request-id.js";
import type { RpcRecorder } from "./rpc-recorder.js";

/** Set by the REST route on the calls it transcodes, so logs can tell REST from the RPC protocols. */
export const REST_MARKER_HEADER = "x-transcoded-from-rest";

/**
 * Marks a call the observer saw (see unobserved-calls.ts); the default (REST's in-process calls) counts as seen.
 * `code` is the status an unseen call was answered with, when it was restated (see refused-requests.ts).
 */
export const OBSERVED = createContextKey<{ seen: boolean; code?: Code }>({ seen: true }, { description: "the RPC observer saw this call" });

function protocolOf(header: Headers): string {
  if (header.has(REST_MARKER_HEADER)) return "rest";
  const contentType = header.get("content-type") ?? "";
  if (contentType.startsWith("application/grpc-web")) return "grpc-web";
  if (contentType.startsWith("application/grpc")) return "grpc";
  return "connect";
}

/**
 * Records every call connect-node serves (Connect, gRPC-Web, REST), with a
 * request id: the caller's x-request-id when it sent one, else a fresh one;
 * echoed back in the response headers either way.
 */
export function rpcObserver(record: RpcRecorder): Interceptor {
  return (next) => async (request) => {
    request.contextValues.get(OBSERVED).seen = true;
    const started = performance.now();
    const requestId = request.header.get(REQUEST_ID_HEADER) ?? randomUUID();
    let code = 0;
    try {
      const response = await next(request);
      response.header.set(REQUEST_ID_HEADER, requestId);
      return response;
    } catch (error) {
      const connectError = ConnectError.from(error);
      code = connectError.code;
      connectError.metadata.set(REQUEST_ID_HEADER, requestId);
      throw connectError;
    } finally {
      record({
        service: request.service.typeName,
        method: request.method.name,
        protocol: protocolOf(request.header),
        code,
        seconds: (performance.now() - started) / 1000,
        requestId,
      });
    }
  };
}
