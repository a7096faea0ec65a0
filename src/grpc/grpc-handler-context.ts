import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { createContextValues, type ContextValues, type HandlerContext } from "@connectrpc/connect";
import type { Metadata } from "@grpc/grpc-js";
import type { EventEmitter } from "node:events";

/** The parts of a grpc-js server call the context reads. */
export interface GrpcCall extends EventEmitter {
  readonly metadata: Metadata;
  readonly cancelled: boolean;
  getDeadline(): Date | number;
  getPath(): string;
}

export interface GrpcHandlerContext extends HandlerContext {
  /** When the caller's deadline passes (ms since the epoch), if it set one. */
  readonly deadline: number | undefined;
  /** Aborts the signal, if anyone asked for it, once the call is over. */
  finish(): void;
  /** Headers the implementation set, if it touched them. */
  readonly setResponseHeader: Headers | undefined;
}

/**
 * The HandlerContext a service implementation expects, over a grpc-js call.
 * Everything that costs something (the AbortSignal, the Headers objects, the
 * context values) is made only when the implementation asks for it, so a
 * call that needs none of them allocates none of them.
 */
export function grpcHandlerContext(call: GrpcCall, service: DescService, method: DescMethod): GrpcHandlerContext {
  const deadline = deadlineOf(call);
  let controller: AbortController | undefined;
  let requestHeader: Headers | undefined;
  let responseHeader: Headers | undefined;
  let responseTrailer: Headers | undefined;
  let values: ContextValues | undefined;

  return {
    service,
    method,
    deadline,
    protocolName: "grpc",
    requestMethod: "POST",
    get url() {
      return call.getPath();
    },
    get signal() {
      if (controller === undefined) {
        const created = new AbortController();
        controller = created;
        if (call.cancelled) created.abort(cancelReason(deadline));
        else call.once("cancelled", () => created.abort(cancelReason(deadline)));
      }
      return controller.signal;
    },
    timeoutMs: () => (deadline === undefined ? undefined : deadline - Date.now()),
    get requestHeader() {
      requestHeader ??= headersOf(call.metadata);
      return requestHeader;
    },
    get responseHeader() {
      responseHeader ??= new Headers();
      return responseHeader;
    },
    get responseTrailer() {
      responseTrailer ??= new Headers();
      return responseTrailer;
    },
    get values() {
      values ??= createContextValues();
      return values;
    },
    get setResponseHeader() {
      return responseHeader;
    },
    finish() {
      if (controller !== undefined && !controller.signal.aborted) controller.abort(new Error("the call is over"));
    },
  };
}

function cancelReason(deadline: number | undefined): Error {
  return deadline !== undefined && Date.now() >= deadline
    ? new Error("the deadline passed")
    : new Error("the client cancelled the call");
}

/** When the caller's deadline passes (ms since the epoch), if it set one. */
export function deadlineOf(call: Pick<GrpcCall, "getDeadline">): number | undefined {
  const raw = call.getDeadline();
  const ms = raw instanceof Date ? raw.getTime() : raw;
  return Number.isFinite(ms) ? ms : undefined;
}

/** A call's metadata as the request headers interceptors and implementations read; binary values in base64. */
export function headersOf(metadata: Metadata): Headers {
  const headers = new Headers();
  for (const [key, value] of Object.entries(metadata.getMap())) {
    headers.append(key, typeof value === "string" ? value : value.toString("base64"));
  }
  return headers;
}
