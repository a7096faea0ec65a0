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
  fillFrom(headers, metadata);
  return headers;
}

function fillFrom(headers: Headers, metadata: Metadata): void {
  // Every value of a key sent more than once, as HTTP/2 carried them.
  for (const [key, values] of Object.entries(metadata.toJSON())) {
    for (const value of values) headers.append(key, typeof value === "string" ? value : value.toString("base64"));
  }
}

/**
 * headersOf, filled only when first read: most calls' interceptors and
 * implementations never read a request header (the request id comes from the
 * metadata itself, and only auth reads authorization), and converting a
 * call's metadata costs more than the rest of its bookkeeping.
 */
export function lazyHeadersOf(metadata: Metadata): Headers {
  return new MetadataHeaders(metadata);
}

class MetadataHeaders extends Headers {
  #metadata: Metadata | undefined;

  constructor(metadata: Metadata) {
    super();
    this.#metadata = metadata;
  }

  #fill(): void {
    const metadata = this.#metadata;
    if (metadata === undefined) return;
    this.#metadata = undefined;
    fillFrom(this, metadata);
  }

  override append(name: string, value: string): void {
    this.#fill();
    super.append(name, value);
  }
  override delete(name: string): void {
    this.#fill();
    super.delete(name);
  }
  override get(name: string): string | null {
    this.#fill();
    return super.get(name);
  }
  override getSetCookie(): string[] {
    this.#fill();
    return super.getSetCookie();
  }
  override has(name: string): boolean {
    this.#fill();
    return super.has(name);
  }
  override set(name: string, value: string): void {
    this.#fill();
    super.set(name, value);
  }
  override forEach(callback: (value: string, key: string, parent: Headers) => void, thisArg?: unknown): void {
    this.#fill();
    super.forEach(callback, thisArg);
  }
  override entries(): HeadersIterator<[string, string]> {
    this.#fill();
    return super.entries();
  }
  override keys(): HeadersIterator<string> {
    this.#fill();
    return super.keys();
  }
  override values(): HeadersIterator<string> {
    this.#fill();
    return super.values();
  }
  override [Symbol.iterator](): HeadersIterator<[string, string]> {
    this.#fill();
    return super[Symbol.iterator]();
  }
}
