import { once } from "node:events";
import type { Readable } from "node:stream";
import { create, fromBinary, toBinary, type DescMessage, type DescMethod, type DescMethodUnary, type DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { guardCall, type CallGuard } from "../auth/call-guard.js";
import { REQUEST_ID_HEADER, requestIdOf } from "../http-primitives/request-id.js";
import { openExchange, type Exchange } from "../observability/exchange.js";
import type { RpcRecorder } from "../observability/rpc-recorder.js";
import type { UnaryCaller } from "../rpc/invoke-unary.js";
import { overloaded, type InFlight } from "../limits/in-flight.js";
import { undecodableRequest, withErrorInfo } from "../services/errors.js";
import { withCallSignal } from "../store/call-signal.js";
import { grpcHandlerContext, type GrpcCall, type GrpcHandlerContext } from "./grpc-handler-context.js";
import { grpcFailure, grpcStatusOf } from "./grpc-status.js";
import { grpcUnaryHandler } from "./grpc-unary-call.js";

// Serves a protocol-neutral service implementation (the ServiceImpl objects
// connect-node serves too) on a grpc-js server, for any service descriptor:
// a method added to the proto needs no change here. Unary methods go through
// the invoker every protocol shares (grpc-unary-call.ts). Streaming methods,
// which the invoker does not make, get the same cross-cutting work here, once
// per call: decoding, the in-flight bound, the guard, failures to statuses
// with google.rpc details, the deadline reaching the SQL statement, and the
// call's exchange (one log line and one metrics sample).

export interface GrpcServiceOptions {
  /** Makes unary calls, through the interceptors every protocol shares. */
  readonly call: UnaryCaller;
  readonly record: RpcRecorder;
  /** Calls in flight, shared with the other protocols; a call finding no slot is refused as overload. */
  readonly inFlight: InFlight;
  readonly maxInFlight: number;
  /** Told about failures that are our bugs (they reach clients as INTERNAL). */
  readonly onInternalError: (error: unknown) => void;
  /** Who may call: checked before the implementation sees the request; every call may when absent. */
  readonly guard?: CallGuard | undefined;
}

/** A service implementation: method local names to functions, any subset of the service's methods. */
export type ServiceImplementation = object;

type MethodFunction = (input: unknown, context: HandlerContext) => unknown;

// grpc-js gets bytes both ways: decoding and encoding happen here, where their failures are observed.
const passBytes = (bytes: Buffer): Buffer => bytes;

export function registerGrpcService(
  server: grpc.Server,
  service: DescService,
  implementation: ServiceImplementation,
  options: GrpcServiceOptions,
): void {
  for (const method of service.methods) {
    const found = (implementation as Record<string, unknown>)[method.localName];
    const impl: MethodFunction =
      typeof found === "function"
        ? (found.bind(implementation) as MethodFunction)
        : () => {
            throw new ConnectError(`${service.typeName}.${method.name} is not implemented`, Code.Unimplemented);
          };
    const path = `/${service.typeName}/${method.name}`;
    const kind = method.methodKind;
    const handler =
      kind === "unary" ? grpcUnaryHandler(method as DescMethodUnary, options) : streamingHandlerFor(kind, createMethodCall(service, method, impl, options));
    server.register(path, handler, passBytes, passBytes, grpcHandlerType[method.methodKind]);
  }
}

const grpcHandlerType = {
  unary: "unary",
  server_streaming: "serverStream",
  client_streaming: "clientStream",
  bidi_streaming: "bidi",
} as const;

/** One call of one method, from the moment grpc-js hands it over to its status. */
interface MethodCall {
  begin(call: GrpcCall): CallState;
  decode(bytes: Buffer): unknown;
  decodeStream(call: Readable): AsyncIterable<unknown>;
  encode(message: unknown): Buffer;
  invoke(input: unknown, state: CallState): unknown;
  succeed(state: CallState): void;
  fail(error: unknown, state: CallState, call: GrpcCall): Partial<grpc.StatusObject>;
}

interface CallState {
  readonly exchange: Exchange;
  /** Takes a slot of the in-flight bound, or throws the overload error. */
  admit(): void;
  /** Whether it holds a slot, to give back when the call ends. */
  admitted: boolean;
  readonly context: GrpcHandlerContext;
  /** Initial metadata: the request id, and headers the implementation set. */
  headers(): grpc.Metadata;
}

function createMethodCall(
  service: DescService,
  method: DescMethod,
  impl: MethodFunction,
  { record, onInternalError, guard, inFlight, maxInFlight }: GrpcServiceOptions,
): MethodCall {
  const input: DescMessage = method.input;
  const output: DescMessage = method.output;
  const finish = (state: CallState, code: Code | 0) => {
    if (state.admitted) inFlight.leave();
    state.context.finish();
    state.exchange.settle(code);
    state.exchange.close(code);
  };
  const decode = (bytes: Buffer): unknown => {
    try {
      return fromBinary(input, bytes);
    } catch (error) {
      throw undecodableRequest(input.typeName, "binary", (error as Error).message);
    }
  };

  return {
    begin(call) {
      const [sent] = call.metadata.get(REQUEST_ID_HEADER);
      const exchange = openExchange(record, { requestId: requestIdOf(sent), protocol: "grpc", method });
      const context = grpcHandlerContext(call, service, method);
      const state: CallState = {
        exchange,
        admitted: false,
        admit() {
          if (!inFlight.enter()) throw overloaded(maxInFlight);
          state.admitted = true;
        },
        context,
        headers() {
          const metadata = new grpc.Metadata();
          context.setResponseHeader?.forEach((value, key) => metadata.add(key, value));
          metadata.set(REQUEST_ID_HEADER, exchange.requestId);
          return metadata;
        },
      };
      return state;
    },
    decode,
    async *decodeStream(messages) {
      // The default iterator destroys the stream when the input ends, and with
      // it the response side of a bidi call before its status is sent.
      for await (const bytes of messages.iterator({ destroyOnReturn: false })) yield decode(bytes as Buffer);
    },
    encode(message) {
      const bytes = toBinary(output, create(output, message as never));
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    invoke(request, state) {
      // Only a call with a deadline needs its statement cancelled, and so a
      // dedicated database connection; the rest run on the pool as they come.
      const { context } = state;
      const run = (checked: unknown) =>
        context.deadline === undefined ? impl(checked, context) : withCallSignal(context.signal, () => impl(checked, context));
      return guard === undefined ? run(request) : guardCall(guard, method, request, context.requestHeader.get("authorization"), run);
    },
    succeed(state) {
      finish(state, 0);
    },
    fail(error, state, call) {
      const connectError = grpcFailure(error, state.context.deadline, call.cancelled, onInternalError);
      finish(state, connectError.code);
      const metadata = new grpc.Metadata();
      metadata.set(REQUEST_ID_HEADER, state.exchange.requestId);
      return grpcStatusOf(withErrorInfo(connectError), metadata);
    },
  };
}

type GrpcHandler =
  | grpc.handleUnaryCall<Buffer, Buffer>
  | grpc.handleClientStreamingCall<Buffer, Buffer>
  | grpc.handleServerStreamingCall<Buffer, Buffer>
  | grpc.handleBidiStreamingCall<Buffer, Buffer>;

function streamingHandlerFor(kind: Exclude<DescMethod["methodKind"], "unary">, call: MethodCall): GrpcHandler {
  switch (kind) {
    case "server_streaming":
      return serverStreamingHandler(call);
    case "client_streaming":
      return clientStreamingHandler(call);
    case "bidi_streaming":
      return bidiStreamingHandler(call);
  }
}

function clientStreamingHandler(call: MethodCall): grpc.handleClientStreamingCall<Buffer, Buffer> {
  return (grpcCall, callback) => {
    const state = call.begin(grpcCall);
    respondOnce(call, state, grpcCall, callback, () => {
      state.admit();
      return call.invoke(call.decodeStream(grpcCall), state);
    });
  };
}

function respondOnce(
  call: MethodCall,
  state: CallState,
  grpcCall: GrpcCall & { sendMetadata(metadata: grpc.Metadata): void },
  callback: grpc.sendUnaryData<Buffer>,
  work: () => unknown,
): void {
  let pending: unknown;
  try {
    pending = work();
  } catch (error) {
    callback(call.fail(error, state, grpcCall));
    return;
  }
  Promise.resolve(pending).then(
    (response) => {
      let bytes: Buffer;
      try {
        bytes = call.encode(response);
      } catch (error) {
        callback(call.fail(error, state, grpcCall));
        return;
      }
      grpcCall.sendMetadata(state.headers());
      callback(null, bytes);
      call.succeed(state);
    },
    (error: unknown) => callback(call.fail(error, state, grpcCall)),
  );
}

function serverStreamingHandler(call: MethodCall): grpc.handleServerStreamingCall<Buffer, Buffer> {
  return (grpcCall) => {
    const state = call.begin(grpcCall);
    stream(call, state, grpcCall, () => {
      state.admit();
      return call.invoke(call.decode(grpcCall.request), state);
    });
  };
}

function bidiStreamingHandler(call: MethodCall): grpc.handleBidiStreamingCall<Buffer, Buffer> {
  return (grpcCall) => {
    const state = call.begin(grpcCall);
    stream(call, state, grpcCall, () => {
      state.admit();
      return call.invoke(call.decodeStream(grpcCall), state);
    });
  };
}

function stream(
  call: MethodCall,
  state: CallState,
  grpcCall: grpc.ServerWritableStream<Buffer, Buffer> | grpc.ServerDuplexStream<Buffer, Buffer>,
  work: () => unknown,
): void {
  const send = async () => {
    const responses = work() as AsyncIterable<unknown>;
    let headersSent = false;
    for await (const response of responses) {
      if (!headersSent) {
        grpcCall.sendMetadata(state.headers());
        headersSent = true;
      }
      if (!grpcCall.write(call.encode(response))) await once(grpcCall, "drain", { signal: state.context.signal });
    }
    if (!headersSent) grpcCall.sendMetadata(state.headers());
  };
  send().then(
    () => {
      grpcCall.end();
      call.succeed(state);
    },
    (error: unknown) => {
      grpcCall.emit("error", call.fail(error, state, grpcCall));
    },
  );
}
