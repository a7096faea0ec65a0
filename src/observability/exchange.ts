import type { DescMethod } from "@bufbuild/protobuf";
import { ConnectError, createContextKey, type Code, type Interceptor } from "@connectrpc/connect";
import { REQUEST_ID_HEADER, requestIdOf } from "../http-primitives/request-id.js";
import type { RpcRecorder } from "./rpc-recorder.js";

// One record per call, whoever answers it. The edge opens it when a request
// or stream aimed at an RPC arrives; everything that answers the call (the
// interceptors, grpc-js's adapter, the credentials gate, REST's refusals,
// connect-node's refusals restated) settles its code through `settle`; the
// transport closes it when the response has gone or the stream has closed,
// and only then are the log line and the metric written, once.

export interface Exchange {
  readonly requestId: string;
  /** grpc, grpc-web, connect or rest. */
  readonly protocol: string;
  /** Whether the interceptors took the call, so the refusals made before them know they were first. */
  readonly entered: boolean;
  /** The interceptors took the call. */
  enter(): void;
  /** Whether the method the call is aimed at is known. */
  readonly aimed: boolean;
  /** The method the call is aimed at, once known (REST learns it when the route matches). */
  aim(method: DescMethod): void;
  /** The code the call ended with: 0 for OK. The last settlement wins: whoever answers last knows what went out. */
  settle(code: Code | 0): void;
  /** Whether the record has been written: the call is over. */
  readonly closed: boolean;
  /** Writes the record, once: with `unsettled` as the code when nothing settled one. A call aimed at no method is not recorded. */
  close(unsettled: Code | 0): void;
}

export interface ExchangeStart {
  readonly requestId: string;
  readonly protocol: string;
  /** When the request arrived (performance.now()); now when not given. */
  readonly started?: number;
  readonly method?: DescMethod;
}

export function openExchange(record: RpcRecorder, start: ExchangeStart): Exchange {
  return new CallExchange(record, start);
}

// A class, not an object of closures: one is made per call, and its methods are shared.
class CallExchange implements Exchange {
  readonly requestId: string;
  readonly protocol: string;
  closed = false;
  entered = false;
  private readonly started: number;
  private method: DescMethod | undefined;
  private code: Code | 0 | undefined;

  constructor(
    private readonly record: RpcRecorder,
    start: ExchangeStart,
  ) {
    this.requestId = start.requestId;
    this.protocol = start.protocol;
    this.started = start.started ?? performance.now();
    this.method = start.method;
  }

  get aimed(): boolean {
    return this.method !== undefined;
  }

  enter(): void {
    this.entered = true;
  }

  aim(method: DescMethod): void {
    this.method ??= method;
  }

  settle(code: Code | 0): void {
    this.code = code;
  }

  close(unsettled: Code | 0): void {
    if (this.closed) return;
    this.closed = true;
    const { method } = this;
    // Only served methods: a path a caller made up must not become a metric label.
    if (method === undefined) return;
    this.record({
      service: method.parent.typeName,
      method: method.name,
      protocol: this.protocol,
      code: this.code ?? unsettled,
      seconds: (performance.now() - this.started) / 1000,
      requestId: this.requestId,
    });
  }
}

/** The exchange of the call an interceptor sees; the edge puts it in the call's context values. */
export const EXCHANGE = createContextKey<Exchange | undefined>(undefined, { description: "the call's exchange" });

/**
 * The first interceptor of every chain: marks the call as entered, settles its
 * exchange with the status the inner interceptors settle on, and puts the
 * request id on a failure's metadata. A call that comes with no exchange (one made in
 * process by no transport) gets one of its own, closed when it returns.
 */
export function exchangeInterceptor(record: RpcRecorder): Interceptor {
  return (next) => async (request) => {
    const given = request.contextValues.get(EXCHANGE);
    const exchange =
      given ??
      openExchange(record, {
        requestId: requestIdOf(request.header.get(REQUEST_ID_HEADER)),
        protocol: protocolOf(request.header),
        method: request.method,
      });
    exchange.aim(request.method);
    exchange.enter();
    try {
      const response = await next(request);
      exchange.settle(0);
      // A transport's exchange is on its answer already (the edge sets the header when it opens it, grpc-js's adapter in its metadata).
      if (given === undefined) response.header.set(REQUEST_ID_HEADER, exchange.requestId);
      return response;
    } catch (error) {
      const connectError = ConnectError.from(error);
      exchange.settle(connectError.code);
      connectError.metadata.set(REQUEST_ID_HEADER, exchange.requestId);
      throw connectError;
    } finally {
      if (given === undefined) exchange.close(0);
    }
  };
}

/** The protocol a request's content type speaks, for HTTP requests aimed at an RPC path. */
export function protocolOfContentType(contentType: string): string {
  if (contentType.startsWith("application/grpc-web")) return "grpc-web";
  if (contentType.startsWith("application/grpc")) return "grpc";
  return "connect";
}

function protocolOf(header: Headers): string {
  return protocolOfContentType(header.get("content-type") ?? "");
}
