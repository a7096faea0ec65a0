import type { IncomingHttpHeaders } from "node:http2";
import type { DescMethod } from "@bufbuild/protobuf";
import { Code, createContextValues, type ContextValues } from "@connectrpc/connect";
import { codeToHttpStatus } from "@connectrpc/connect/protocol-connect";
import { requestPath, type HttpRequest, type HttpResponse } from "../http-primitives/http-request.js";
import { REQUEST_ID_HEADER, settleRequestId } from "../http-primitives/request-id.js";
import { OBSERVED, type ObservedMarker } from "./rpc-observer.js";
import type { RpcRecorder } from "./rpc-recorder.js";

// connect-node decodes a request before any interceptor runs, so a request it
// cannot decode (bad JSON, bad protobuf, a wrong content type) never reaches
// the RPC observer. Such calls are recorded here, from the response they got,
// so they have a log line and a metric like every other call; so are gRPC
// calls refused before grpc-js took them (no valid credentials).

export interface UnobservedCalls {
  /** For connectNodeAdapter's contextValues: carries the request's marker to the observer. */
  contextValues(request: HttpRequest): ContextValues;
  /** Called with every HTTP request before connect-node sees it; puts the request id on the answer from the start. */
  watch(request: HttpRequest, response: HttpResponse): void;
  /** A gRPC call answered with `code` before grpc-js saw it, `started` (performance.now()) when it arrived. */
  answeredGrpc(headers: IncomingHttpHeaders, code: Code, started: number): void;
}

/** `methods`: every served method by its RPC path (the service registry's). */
export function createUnobservedCalls(served: ReadonlyMap<string, DescMethod>, record: RpcRecorder): UnobservedCalls {
  const methods = new Map<string, { service: string; method: string }>();
  for (const [path, method] of served) methods.set(path, { service: method.parent.typeName, method: method.name });
  const markers = new WeakMap<HttpRequest, ObservedMarker>();
  return {
    contextValues(request) {
      const values = createContextValues();
      const marker = markers.get(request);
      if (marker !== undefined) values.set(OBSERVED, marker);
      return values;
    },
    watch(request, response) {
      const target = methods.get(requestPath(request));
      if (target === undefined) return;
      // Before anything answers it, and on the answer from the start: a refusal that never reaches
      // the RPC observer (an undecodable body, no credentials) quotes the same id as its log line.
      response.setHeader(REQUEST_ID_HEADER, settleRequestId(request.headers));
      const marker: ObservedMarker = { seen: false };
      markers.set(request, marker);
      const started = performance.now();
      response.once("finish", () => {
        if (marker.seen) return;
        record({
          ...target,
          protocol: protocolOf(request.headers["content-type"]),
          // A refusal restated by refused-requests.ts (gRPC-Web carries its status in the body).
          code: marker.code ?? codeOf(response),
          seconds: (performance.now() - started) / 1000,
          requestId: settleRequestId(request.headers),
        });
      });
    },
    answeredGrpc(headers, code, started) {
      // Only served methods: a path a caller made up must not become a metric label.
      const target = methods.get(headers[":path"] ?? "");
      if (target === undefined) return;
      record({ ...target, protocol: "grpc", code, seconds: (performance.now() - started) / 1000, requestId: settleRequestId(headers) });
    },
  };
}

function protocolOf(contentType: string | undefined): string {
  if (contentType?.startsWith("application/grpc-web") === true) return "grpc-web";
  if (contentType?.startsWith("application/grpc") === true) return "grpc";
  return "connect";
}

// The Connect protocol's own code-to-HTTP mapping, read backwards (the first code for a status):
// 400 is INVALID_ARGUMENT there, not INTERNAL as in gRPC's HTTP mapping.
const CODE_OF_HTTP_STATUS = new Map<number, Code>();
for (const code of Object.values(Code)) {
  if (typeof code === "number" && !CODE_OF_HTTP_STATUS.has(codeToHttpStatus(code))) CODE_OF_HTTP_STATUS.set(codeToHttpStatus(code), code);
}
// A content type connect-node does not serve is the client's mistake.
CODE_OF_HTTP_STATUS.set(415, Code.InvalidArgument);

// gRPC-Web puts the status in a header when no message was sent; Connect in the HTTP status.
function codeOf(response: HttpResponse): Code {
  const status = Number(response.getHeader("grpc-status"));
  if (Number.isInteger(status) && status > 0) return status as Code;
  return CODE_OF_HTTP_STATUS.get(response.statusCode) ?? Code.Unknown;
}
