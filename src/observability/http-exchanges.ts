import type { IncomingHttpHeaders } from "node:http2";
import type { DescMethod } from "@bufbuild/protobuf";
import { Code, createContextValues, type ContextValues } from "@connectrpc/connect";
import { requestPath, type HttpRequest, type HttpResponse } from "../http-primitives/http-request.js";
import { REQUEST_ID_HEADER, settleRequestId } from "../http-primitives/request-id.js";
import { EXCHANGE, openExchange, protocolOfContentType, type Exchange } from "./exchange.js";
import type { RpcRecorder } from "./rpc-recorder.js";

// Where the edge opens the exchange of each request aimed at an RPC: an RPC
// path (Connect, gRPC-Web, gRPC that reaches connect-node), or a REST path,
// whose method is known once its route matches. The exchange rides in the
// call's context values to whatever answers it, and is closed when the
// response has gone (or the connection went first).

export interface HttpExchanges {
  /** Opens the exchange of a request aimed at an RPC and puts its id on the answer; undefined for any other request. */
  open(request: HttpRequest, response: HttpResponse): Exchange | undefined;
  /** The open exchange of a request, if it has one. */
  of(request: HttpRequest): Exchange | undefined;
  /** The context values a request's call starts with (connect-node's contextValues option): its exchange. */
  contextValues(request: HttpRequest): ContextValues;
  /** Opens the exchange of a gRPC stream answered before grpc-js takes it, closed by the caller. */
  openStream(headers: IncomingHttpHeaders, started: number): Exchange;
}

export interface HttpExchangesOptions {
  /** Every served method by its RPC path (the service registry's). */
  readonly methods: ReadonlyMap<string, DescMethod>;
  /** Paths under it are REST's. */
  readonly restPrefix: string;
  /** The method a REST request is aimed at (see rest/http-bindings.ts); undefined for a path no method serves. */
  readonly restMethodOf: (verb: string, path: string) => DescMethod | undefined;
}

export function createHttpExchanges(options: HttpExchangesOptions, record: RpcRecorder): HttpExchanges {
  const { methods, restPrefix } = options;
  const open = new WeakMap<HttpRequest, Exchange>();
  return {
    open(request, response) {
      const path = requestPath(request);
      const method = methods.get(path);
      const isRest = method === undefined && path.startsWith(restPrefix);
      if (method === undefined && !isRest) return undefined;
      const requestId = settleRequestId(request.headers);
      // On the answer from the start: whoever answers, the client reads the id its log line quotes.
      response.setHeader(REQUEST_ID_HEADER, requestId);
      const exchange = openExchange(record, {
        requestId,
        protocol: isRest ? "rest" : protocolOfContentType(request.headers["content-type"] ?? ""),
        method,
      });
      open.set(request, exchange);
      // "close" comes once the answer has gone, or when the connection went before it did.
      response.once("close", () => {
        // A REST request refused before its route matched (no credentials, a verb the path does not
        // serve) is still a call of the method its path names; looked up only then, as routing costs.
        if (isRest && !exchange.aimed) {
          const aimed = options.restMethodOf(request.method ?? "", path);
          if (aimed !== undefined) exchange.aim(aimed);
        }
        exchange.close(response.writableFinished ? Code.Unknown : Code.Canceled);
      });
      return exchange;
    },
    of(request) {
      return open.get(request);
    },
    contextValues(request) {
      const values = createContextValues();
      const exchange = open.get(request);
      if (exchange !== undefined) values.set(EXCHANGE, exchange);
      return values;
    },
    openStream(headers, started) {
      return openExchange(record, { requestId: settleRequestId(headers), protocol: "grpc", started, method: methods.get(headers[":path"] ?? "") });
    },
  };
}
