import { create, isMessage, type DescMessage, type DescMethod, type DescMethodUnary, type DescService, type MessageShape } from "@bufbuild/protobuf";
import { UNCANCELLABLE } from "../store/call-signal.js";
import {
  Code,
  ConnectError,
  createContextKey,
  createContextValues,
  type ContextValues,
  type HandlerContext,
  type Interceptor,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";

// Calls a service implementation in process, through the same interceptors
// connect-node applies, for any unary method. REST uses it for the calls it
// transcodes: the request is already a message, so nothing is serialized or
// parsed again, and no client, in-memory HTTP exchange or linked abort
// signals stand between the route and the implementation. Connect unary calls
// come through it too (see connect-unary-fast-path.ts), and so do gRPC unary
// calls (see grpc-unary-call.ts): every unary call of every protocol but the
// few connect-node serves itself runs through this one chain.

/** A service and its implementation (method local names to functions), as given to connect-node and grpc-js. */
export interface ServedImplementation {
  readonly service: DescService;
  readonly implementation: object;
}

/** What the caller knows of one call besides its input. */
export interface InProcessCall {
  /** The request headers the interceptors and the implementation see. */
  readonly header: Headers;
  /**
   * Aborted when the caller goes away; the deadline, if any, aborts it too.
   * Undefined for a call nothing can cancel: its signal is then UNCANCELLABLE,
   * unless the invoker enforces a deadline, when it makes a controller of its own.
   */
  readonly abort: AbortController | undefined;
  /** The caller's deadline from now, if it set one. */
  readonly timeoutMs: number | undefined;
  /** The HTTP method and URL the call arrived with. */
  readonly requestMethod: string;
  readonly url: string;
  /** The protocol the call arrived by, told to the implementation; "rest" when not given. */
  readonly protocolName?: string;
  /** Values the interceptors share (the call's exchange); fresh ones when not given. */
  readonly contextValues?: ContextValues;
  /**
   * What happens when the deadline passes ("answer" when not given): "answer"
   * aborts the signal and answers DEADLINE_EXCEEDED at once, even while the
   * implementation is still giving up; "abort" only aborts the signal and
   * waits for the implementation's own answer, as connect-node does;
   * "transport" does nothing, as the transport ends the call and aborts the
   * signal itself (grpc-js).
   */
  readonly atDeadline?: "answer" | "abort" | "transport";
}

export type UnaryCaller = (method: DescMethodUnary, input: MessageShape<DescMessage>, call: InProcessCall) => Promise<UnaryResponse>;

type MethodFunction = (input: unknown, context: HandlerContext) => unknown;
type AnyFn = Parameters<Interceptor>[0];

// setTimeout fires at once past this; such a deadline (24 days) is no deadline.
const MAX_TIMER_MS = 2 ** 31 - 1;

// What the innermost function needs of its call besides the request: the chain
// is built once per method, so what differs per call travels in the call's
// context values, which every interceptor passes on.
interface CallState {
  readonly protocolName: string;
  /** Date.now() at which the caller's deadline passes, if it set one. */
  readonly deadline: number | undefined;
}

const CALL_STATE = createContextKey<CallState>({ protocolName: "rest", deadline: undefined }, { description: "the in-process call's protocol and deadline" });

/** Calls go through `interceptors`, outermost first, as connect-node runs them. */
export function createUnaryCaller(served: readonly ServedImplementation[], interceptors: readonly Interceptor[]): UnaryCaller {
  const chains = new Map<DescMethod, AnyFn>();
  for (const { service, implementation } of served) {
    for (const method of service.methods) {
      let next = innermostFunction(method, methodFunction(service, method, implementation));
      for (let i = interceptors.length - 1; i >= 0; i--) next = (interceptors[i] as Interceptor)(next);
      chains.set(method, next);
    }
  }
  return (method, input, call) => {
    const chain = chains.get(method);
    if (chain === undefined) return Promise.reject(new ConnectError(`${method.parent.typeName} is not served`, Code.Unimplemented));
    const { timeoutMs } = call;
    const enforced = timeoutMs !== undefined && timeoutMs <= MAX_TIMER_MS && call.atDeadline !== "transport";
    const abort = call.abort ?? (enforced ? new AbortController() : undefined);
    const contextValues = call.contextValues ?? createContextValues();
    contextValues.set(CALL_STATE, { protocolName: call.protocolName ?? "rest", deadline: timeoutMs === undefined ? undefined : Date.now() + timeoutMs });
    const request: UnaryRequest = {
      stream: false,
      message: input,
      method,
      service: method.parent,
      requestMethod: call.requestMethod,
      url: call.url,
      signal: abort?.signal ?? UNCANCELLABLE,
      header: call.header,
      contextValues,
    };
    // A unary request is answered with the unary response the innermost function makes.
    const answer = chain(request) as Promise<UnaryResponse>;
    if (!enforced || abort === undefined) return answer;
    return call.atDeadline === "abort" ? abortedAtDeadline(answer, abort, timeoutMs) : answeredByDeadline(answer, abort, timeoutMs);
  };
}

/** The end of a method's chain: the implementation, called with the context connect-node would give it. */
function innermostFunction(method: DescMethod, impl: MethodFunction): AnyFn {
  return async (request) => {
    // Only unary methods are called here; an interceptor that turned the call into a stream is a bug.
    if (request.stream) throw new ConnectError(`${method.name} is unary`, Code.Internal);
    const { protocolName, deadline } = request.contextValues.get(CALL_STATE);
    const responseHeader = new Headers();
    const responseTrailer = new Headers();
    const context: HandlerContext = {
      method,
      service: method.parent,
      signal: request.signal,
      timeoutMs: () => (deadline === undefined ? undefined : deadline - Date.now()),
      requestMethod: request.requestMethod,
      requestHeader: request.header,
      responseHeader,
      responseTrailer,
      protocolName,
      values: request.contextValues,
      url: request.url,
    };
    const output = await impl(request.message, context);
    // Implementations may answer with a partial message (MessageInitShape), as connect allows.
    const message = isMessage(output, method.output) ? output : create(method.output, output as never);
    return { stream: false, message, method: request.method, service: request.service, header: responseHeader, trailer: responseTrailer };
  };
}

/**
 * The answer, or DEADLINE_EXCEEDED once `timeoutMs` passes: the signal is
 * aborted then (which cancels the statement), and the call is answered even if
 * the implementation has not returned yet.
 */
function answeredByDeadline(answer: Promise<UnaryResponse>, abort: AbortController, timeoutMs: number): Promise<UnaryResponse> {
  let timer: NodeJS.Timeout | undefined;
  const passed = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const reason = new ConnectError("the operation timed out", Code.DeadlineExceeded);
      abort.abort(reason);
      // An implementation that gives up at once answers itself (with the request id); one still waiting is overtaken.
      setImmediate(() => reject(reason));
    }, timeoutMs);
  });
  return Promise.race([answer, passed]).finally(() => clearTimeout(timer));
}

/** The answer, with the signal aborted (which cancels the statement) once `timeoutMs` passes. */
function abortedAtDeadline(answer: Promise<UnaryResponse>, abort: AbortController, timeoutMs: number): Promise<UnaryResponse> {
  const timer = setTimeout(() => abort.abort(new ConnectError("the operation timed out", Code.DeadlineExceeded)), timeoutMs);
  return answer.finally(() => clearTimeout(timer));
}

function methodFunction(service: DescService, method: DescMethod, implementation: object): MethodFunction {
  const found = (implementation as Record<string, unknown>)[method.localName];
  if (typeof found === "function") return found.bind(implementation) as MethodFunction;
  return () => {
    throw new ConnectError(`${service.typeName}.${method.name} is not implemented`, Code.Unimplemented);
  };
}
