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
// the RPC observer; nor does a REST request refused before its call (a body
// that is not JSON or too large, a verb the path does not serve), nor any
// request refused for its credentials. Such calls are recorded here, so they
// have a log line and a metric like every other call, with the code whoever
// refused them settled on their marker (read from the response only for
// connect-node's own refusals, which tell no one).

export interface UnobservedCalls {
  /** For connectNodeAdapter's contextValues: carries the request's marker to the observer. */
  contextValues(request: HttpRequest): ContextValues;
  /** Called with every HTTP request before connect-node sees it; puts the request id on the answer from the start. */
  watch(request: HttpRequest, response: HttpResponse): void;
  /** A watched request answered with `code` before its call reached the observer (no credentials). */
  answered(request: HttpRequest, code: Code): void;
  /** A gRPC call answered with `code` before grpc-js saw it, `started` (performance.now()) when it arrived. */
  answeredGrpc(headers: IncomingHttpHeaders, code: Code, started: number): void;
}

export interface UnobservedCallsOptions {
  /** Every served method by its RPC path (the service registry's). */
  readonly methods: ReadonlyMap<string, DescMethod>;
  /** Paths under it are REST's; only a refused one is looked up, by `restMethodOf`. */
  readonly restPrefix: string;
  /** The method a REST request is aimed at (see rest/http-bindings.ts); undefined for a path no method serves. */
  readonly restMethodOf: (verb: string, path: string) => DescMethod | undefined;
}

export function createUnobservedCalls(options: UnobservedCallsOptions, record: RpcRecorder): UnobservedCalls {
  const { restPrefix } = options;
  const methods = new Map<string, { service: string; method: string }>();
  for (const [path, method] of options.methods) methods.set(path, targetOf(method));
  const markers = new WeakMap<HttpRequest, ObservedMarker>();
  return {
    contextValues(request) {
      const values = createContextValues();
      const marker = markers.get(request);
      if (marker !== undefined) values.set(OBSERVED, marker);
      return values;
    },
    watch(request, response) {
      const path = requestPath(request);
      const rpc = methods.get(path);
      const isRest = rpc === undefined && path.startsWith(restPrefix);
      if (rpc === undefined && !isRest) return;
      // Before anything answers it, and on the answer from the start: a refusal that never reaches
      // the RPC observer (an undecodable body, no credentials) quotes the same id as its log line.
      response.setHeader(REQUEST_ID_HEADER, settleRequestId(request.headers));
      const marker: ObservedMarker = { seen: false };
      markers.set(request, marker);
      const started = performance.now();
      response.once("finish", () => {
        // REST's refusals all say their code (see rest-route.ts, credentials-first.ts).
        if (marker.seen || (isRest && marker.code === undefined)) return;
        // Only served methods: a path a caller made up must not become a metric label.
        const restMethod = isRest ? options.restMethodOf(request.method ?? "", path) : undefined;
        const target = rpc ?? (restMethod === undefined ? undefined : targetOf(restMethod));
        if (target === undefined) return;
        record({
          ...target,
          protocol: isRest ? "rest" : protocolOf(request.headers["content-type"]),
          code: marker.code ?? codeOf(response),
          seconds: (performance.now() - started) / 1000,
          requestId: settleRequestId(request.headers),
        });
      });
    },
    answered(request, code) {
      const marker = markers.get(request);
      if (marker !== undefined && !marker.seen) marker.code = code;
    },
    answeredGrpc(headers, code, started) {
      // Only served methods: a path a caller made up must not become a metric label.
      const target = methods.get(headers[":path"] ?? "");
      if (target === undefined) return;
      record({ ...target, protocol: "grpc", code, seconds: (performance.now() - started) / 1000, requestId: settleRequestId(headers) });
    },
  };
}

function targetOf(method: DescMethod): { service: string; method: string } {
  return { service: method.parent.typeName, method: method.name };
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
