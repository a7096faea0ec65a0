import type { DescMethod, Message } from "@bufbuild/protobuf";
import { ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../gen/google/rpc/error_details_pb.js";
import type { Authorizer, Denial } from "./authorizer.js";

// The authorizer's decision as every transport applies it: resolve to go on,
// reject with the status the caller gets. connect-node (Connect, gRPC-Web,
// REST) calls it from an interceptor, grpc-js from its service adapter.

/** Resolves when the call may go on; rejects with a ConnectError (UNAUTHENTICATED, PERMISSION_DENIED) when not. */
export type CallGuard = (method: DescMethod, message: Message, authorization: string | null | undefined) => Promise<void>;

/** What a refused call was aimed at: its RPC when known, else the HTTP path it came to (refused before it was routed). */
export interface RefusedCall {
  readonly service?: string;
  readonly method?: string;
  readonly path?: string;
}

/** Told about every refused call: for the log line and the denial counter. */
export type DenialListener = (denial: Denial, call: RefusedCall) => void;

export function createCallGuard(authorizer: Authorizer, onDenial: DenialListener): CallGuard {
  return async (method, message, authorization) => {
    const decision = await authorizer.decide(method, message, authorization);
    if (decision.allowed) return;
    onDenial(decision, { service: method.parent.typeName, method: method.name });
    throw denialError(decision);
  };
}

/** The status a refused call gets, with google.rpc.ErrorInfo, the same on every protocol. */
export function denialError(denial: Denial): ConnectError {
  return new ConnectError(denial.message, denial.code, undefined, [
    { desc: ErrorInfoSchema, value: { reason: denial.reason, domain: "dialogflow.googleapis.com", metadata: { ...denial.metadata } } },
  ]);
}

/**
 * Runs `handler` on `input` only once the guard allows it: a single request
 * is checked before the handler starts; a stream of requests message by
 * message, each before the handler sees it. The result has the handler's
 * shape (a promise, or a stream of responses for server-streaming methods).
 */
export function guardCall(
  guard: CallGuard,
  method: DescMethod,
  input: unknown,
  authorization: string | null | undefined,
  handler: (input: unknown) => unknown,
): unknown {
  switch (method.methodKind) {
    case "unary":
      return guard(method, input as Message, authorization).then(() => handler(input));
    case "server_streaming":
      return (async function* () {
        await guard(method, input as Message, authorization);
        yield* handler(input) as AsyncIterable<unknown>;
      })();
    case "client_streaming":
    case "bidi_streaming":
      return handler(checkEach(guard, method, input as AsyncIterable<Message>, authorization));
  }
}

/** The same messages, each checked before it is handed on. */
export async function* checkEach<M extends Message>(
  guard: CallGuard,
  method: DescMethod,
  messages: AsyncIterable<M>,
  authorization: string | null | undefined,
): AsyncIterable<M> {
  for await (const message of messages) {
    await guard(method, message, authorization);
    yield message;
  }
}
