import { Code, ConnectError } from "@connectrpc/connect";
import type { CredentialsGate } from "../auth/credentials-gate.js";
import type { StreamListener } from "../grpc/grpc-js-streams.js";
import { sendEarlyError, sendEarlyGrpcError } from "./early-error-response.js";
import { requestPath } from "../http-primitives/http-request.js";
import type { HttpExchanges } from "../observability/http-exchanges.js";
import type { HttpHandler } from "./one-port-listener.js";

// The credentials gate put in front of both servers on the port, so a request
// is refused before connect-node, grpc-js or the REST router reads it. Public
// paths go straight on, without waiting for a check.

export interface CredentialsFirstOptions {
  readonly onInternalError: (error: unknown) => void;
  /** Where a request answered here, which nothing after the gate sees, settles its exchange. */
  readonly exchanges: HttpExchanges;
}

/** HTTP requests (Connect, gRPC-Web, REST, everything connect-node serves) reach `next` once the gate lets them. */
export function credentialsFirst(gate: CredentialsGate, next: HttpHandler, options: CredentialsFirstOptions): HttpHandler {
  return (request, response) => {
    const path = requestPath(request);
    if (gate.isPublic(path)) {
      next(request, response);
      return;
    }
    const { authorization } = request.headers;
    const answer = (error: ConnectError) => {
      options.exchanges.of(request)?.settle(error.code);
      sendEarlyError(request, response, error);
    };
    gate.check(path, authorization).then(
      (refusal) => (refusal === undefined ? next(request, response) : answer(refusal)),
      (error: unknown) => {
        options.onInternalError(error);
        answer(new ConnectError("The credentials could not be checked", Code.Internal));
      },
    );
  };
}

export interface GrpcCredentialsFirstOptions {
  readonly onInternalError: (error: unknown) => void;
  /** Where a stream answered here, which grpc-js never sees, opens and closes its exchange. */
  readonly exchanges: HttpExchanges;
}

/** gRPC streams reach grpc-js once the gate lets them. */
export function grpcCredentialsFirst(gate: CredentialsGate, next: StreamListener, options: GrpcCredentialsFirstOptions): StreamListener {
  return (stream, headers, flags, rawHeaders) => {
    const path = headers[":path"] ?? "/";
    if (gate.isPublic(path)) {
      next(stream, headers, flags, rawHeaders);
      return;
    }
    const started = performance.now();
    // grpc-js listens for stream errors once it has the stream; until then a reset by the client must not be an unhandled error.
    const ignore = () => undefined;
    stream.on("error", ignore);
    const answer = (error: ConnectError) => {
      if (stream.destroyed) return;
      const exchange = options.exchanges.openStream(headers, started);
      sendEarlyGrpcError(stream, headers, error);
      exchange.close(error.code);
    };
    gate.check(path, headers.authorization).then(
      (refusal) => {
        if (refusal !== undefined) return answer(refusal);
        if (stream.destroyed) return;
        stream.off("error", ignore);
        next(stream, headers, flags, rawHeaders);
      },
      (error: unknown) => {
        options.onInternalError(error);
        answer(new ConnectError("The credentials could not be checked", Code.Internal));
      },
    );
  };
}
