import type { IncomingHttpHeaders, ServerHttp2Stream } from "node:http2";
import type { ConnectError } from "@connectrpc/connect";
import { requestPath, type HttpRequest, type HttpResponse } from "../http-primitives/http-request.js";
import { REQUEST_ID_HEADER, settleRequestId } from "../http-primitives/request-id.js";
import { parseRpcPath } from "../http-primitives/rpc-path.js";
import { sendRestAnswer, toRestError } from "../rest/rest-errors.js";
import { withErrorInfo } from "../services/errors.js";
import { connectEndStream, connectUnaryError, grpcStatusHeaders } from "../rpc/wire-errors.js";

// A status answered before connect-node or grpc-js has read the request, in
// the wire format of the protocol the request speaks (told by its content
// type and path), so each client reads it as it reads any other status
// (the encoders are rpc/wire-errors.ts's and rest/rest-errors.ts's).

type Wire = "grpc" | "connect-stream" | "connect-unary" | "rest";

function wireOf(path: string, contentType: string): Wire {
  // gRPC and gRPC-Web alike: both accept a trailers-only response.
  if (contentType.startsWith("application/grpc")) return "grpc";
  if (contentType.startsWith("application/connect+")) return "connect-stream";
  return parseRpcPath(path) === undefined ? "rest" : "connect-unary";
}

/** Answers an HTTP request (HTTP/1.1, or an HTTP/2 stream that is not for grpc-js) with `error`. */
export function sendEarlyError(request: HttpRequest, response: HttpResponse, error: ConnectError): void {
  const contentType = request.headers["content-type"] ?? "";
  const path = requestPath(request);
  const detailed = withErrorInfo(error);
  response.setHeader(REQUEST_ID_HEADER, settleRequestId(request.headers));
  switch (wireOf(path, contentType)) {
    case "grpc":
      reply(response, 200, { "content-type": contentType, ...grpcStatusHeaders(detailed) });
      return;
    case "connect-stream":
      reply(response, 200, { "content-type": contentType }, connectEndStream(detailed));
      return;
    case "connect-unary": {
      const { status, body } = connectUnaryError(detailed);
      reply(response, status, { "content-type": "application/json" }, body);
      return;
    }
    case "rest":
      sendRestAnswer(response, toRestError(detailed));
      return;
  }
}

/** Answers a gRPC stream that grpc-js has not taken with `error`, as trailers-only (one HEADERS frame ending the stream). */
export function sendEarlyGrpcError(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, error: ConnectError): void {
  stream.respond(
    {
      ":status": 200,
      "content-type": headers["content-type"] ?? "application/grpc",
      [REQUEST_ID_HEADER]: settleRequestId(headers),
      ...grpcStatusHeaders(withErrorInfo(error)),
    },
    { endStream: true },
  );
}

function reply(response: HttpResponse, status: number, headers: Record<string, string>, body?: Uint8Array | string): void {
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
  response.statusCode = status;
  if (body === undefined) response.end();
  else response.end(body);
}
