import { ConnectError, createContextKey, type Code, type Interceptor } from "@connectrpc/connect";
import { REQUEST_ID_HEADER, requestIdOf } from "../http-primitives/request-id.js";
import type { RpcRecorder } from "./rpc-recorder.js";

/**
 * One call's own marker, set by unobserved-calls.ts on every request it watches: whether the observer
 * saw the call, and the status an unseen call was refused with, told by whoever refused it (the REST
 * route, the credentials gate, refused-requests.ts). Calls nobody watches have none.
 */
export interface ObservedMarker {
  seen: boolean;
  code?: Code;
}

export const OBSERVED = createContextKey<ObservedMarker | undefined>(undefined, { description: "the RPC observer saw this call" });

/** The protocol a call came by, when its request headers do not tell (REST's transcoded calls). */
export const CALL_PROTOCOL = createContextKey<string | undefined>(undefined, { description: "the protocol the call came by" });

function protocolOf(header: Headers): string {
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
    const marker = request.contextValues.get(OBSERVED);
    if (marker !== undefined) marker.seen = true;
    const started = performance.now();
    const requestId = requestIdOf(request.header.get(REQUEST_ID_HEADER));
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
        protocol: request.contextValues.get(CALL_PROTOCOL) ?? protocolOf(request.header),
        code,
        seconds: (performance.now() - started) / 1000,
        requestId,
      });
    }
  };
}
