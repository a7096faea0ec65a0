import { fromBinary, type DescMethodUnary } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextValues } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { REQUEST_ID_HEADER, requestIdOf } from "../http-primitives/request-id.js";
import { EXCHANGE, openExchange, type Exchange } from "../observability/exchange.js";
import type { RpcRecorder } from "../observability/rpc-recorder.js";
import type { UnaryCaller } from "../rpc/invoke-unary.js";
import { responseBinary } from "../rpc/response-binary.js";
import { undecodableRequest, withErrorInfo } from "../services/errors.js";
import { deadlineOf, lazyHeadersOf } from "./grpc-handler-context.js";
import { grpcFailure, grpcStatusOf } from "./grpc-status.js";

// A unary gRPC call, as grpc-js hands it over, made through the same invoker
// and interceptors as every Connect and REST call (invoke-unary.ts). What is
// grpc-js's own stays here: its metadata as headers, its cancellation as the
// call's signal, and the message and status it sends back. grpc-js ends a
// call at its deadline by itself, so the invoker leaves the deadline to it.

export interface GrpcUnaryOptions {
  readonly call: UnaryCaller;
  readonly record: RpcRecorder;
  /** Told about failures that are our bugs (they reach clients as INTERNAL). */
  readonly onInternalError: (error: unknown) => void;
}

export function grpcUnaryHandler(method: DescMethodUnary, { call, record, onInternalError }: GrpcUnaryOptions): grpc.handleUnaryCall<Buffer, Buffer> {
  const path = `/${method.parent.typeName}/${method.name}`;
  return (grpcCall, callback) => {
    const [sent] = grpcCall.metadata.get(REQUEST_ID_HEADER);
    const exchange = openExchange(record, { requestId: requestIdOf(sent), protocol: "grpc", method });
    const deadline = deadlineOf(grpcCall);
    const fail = (error: unknown) => {
      const connectError = grpcFailure(error, deadline, grpcCall.cancelled, onInternalError);
      exchange.settle(connectError.code);
      const metadata = new grpc.Metadata();
      metadata.set(REQUEST_ID_HEADER, exchange.requestId);
      callback(grpcStatusOf(withErrorInfo(connectError), metadata));
      exchange.close(connectError.code);
    };
    let input;
    try {
      input = fromBinary(method.input, grpcCall.request);
    } catch (error) {
      fail(undecodableRequest(method.input.typeName, "binary", (error as Error).message));
      return;
    }
    // As grpc-js serves a call: only one with a deadline can be cancelled, so only its statement
    // holds a connection of its own (see store/call-signal.ts); the others run on the pool as they come.
    const abort = deadline === undefined ? undefined : new AbortController();
    // grpc-js says "cancelled" after every status it sends too; only one before the answer is a cancellation.
    if (abort !== undefined) {
      grpcCall.once("cancelled", () => {
        if (exchange.closed) return;
        const passed = Date.now() >= (deadline ?? Infinity);
        abort.abort(passed ? new ConnectError("the operation timed out", Code.DeadlineExceeded) : new ConnectError("the client cancelled the call", Code.Canceled));
      });
    }
    const contextValues = createContextValues();
    contextValues.set(EXCHANGE, exchange);
    call(method, input, {
      header: lazyHeadersOf(grpcCall.metadata),
      abort,
      timeoutMs: deadline === undefined ? undefined : deadline - Date.now(),
      requestMethod: "POST",
      url: path,
      protocolName: "grpc",
      contextValues,
      atDeadline: "transport",
    }).then((response) => {
      let bytes: Uint8Array;
      try {
        bytes = responseBinary(method.output, response.message);
      } catch (error) {
        fail(error);
        return;
      }
      respond(grpcCall, callback, exchange, response.header, bytes);
    }, fail);
  };
}

function respond(grpcCall: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>, exchange: Exchange, header: Headers, bytes: Uint8Array): void {
  // The interceptors have settled the exchange; the headers are the implementation's.
  const metadata = new grpc.Metadata();
  header.forEach((value, key) => metadata.add(key, value));
  metadata.set(REQUEST_ID_HEADER, exchange.requestId);
  grpcCall.sendMetadata(metadata);
  callback(null, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  exchange.close(0);
}
