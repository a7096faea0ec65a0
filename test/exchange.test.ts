import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextValues } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { Conversations, GetConversationRequestSchema, type Conversation } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { EXCHANGE, exchangeInterceptor, openExchange, protocolOfContentType } from "../src/observability/exchange.js";
import type { RpcRecord } from "../src/observability/rpc-recorder.js";
import { createUnaryCaller } from "../src/rpc/invoke-unary.js";

const GET = Conversations.method.getConversation;
const CREATE = Conversations.method.createConversation;

describe("an exchange", () => {
  it("records once, at close, with the last code settled and the method aimed first", () => {
    const records: RpcRecord[] = [];
    const exchange = openExchange((record) => records.push(record), { requestId: "r-1", protocol: "rest", started: performance.now() - 5 });
    expect(exchange.aimed).toBe(false);
    exchange.aim(GET);
    exchange.aim(CREATE);
    exchange.settle(Code.InvalidArgument);
    exchange.settle(Code.NotFound);
    exchange.close(Code.Unknown);
    exchange.close(Code.Canceled);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ service: Conversations.typeName, method: "GetConversation", protocol: "rest", code: Code.NotFound, requestId: "r-1" });
    expect(records[0]?.seconds).toBeGreaterThanOrEqual(0.004);
  });

  it("takes the close's code when nothing settled one", () => {
    const records: RpcRecord[] = [];
    openExchange((record) => records.push(record), { requestId: "r", protocol: "grpc", method: GET }).close(Code.Canceled);
    expect(records.map((record) => record.code)).toEqual([Code.Canceled]);
  });

  it("records nothing for a call aimed at no method: a made-up path is no metric label", () => {
    const records: RpcRecord[] = [];
    const exchange = openExchange((record) => records.push(record), { requestId: "r", protocol: "connect" });
    exchange.settle(Code.NotFound);
    exchange.close(Code.Unknown);
    expect(records).toEqual([]);
  });

  it("knows whether the interceptors took the call", () => {
    const exchange = openExchange(() => undefined, { requestId: "r", protocol: "connect", method: GET });
    expect(exchange.entered).toBe(false);
    exchange.enter();
    expect(exchange.entered).toBe(true);
  });

  it("tells protocols apart by content type", () => {
    expect(protocolOfContentType("application/grpc-web+proto")).toBe("grpc-web");
    expect(protocolOfContentType("application/grpc-web-text")).toBe("grpc-web");
    expect(protocolOfContentType("application/grpc+json")).toBe("grpc");
    expect(protocolOfContentType("application/grpc")).toBe("grpc");
    expect(protocolOfContentType("application/json")).toBe("connect");
    expect(protocolOfContentType("")).toBe("connect");
  });
});

describe("the unary invoker with the exchange interceptor", () => {
  const request = create(GetConversationRequestSchema, { name: "projects/p/conversations/c" });
  const callWith = (implementation: object, records: RpcRecord[]) =>
    createUnaryCaller([{ service: Conversations, implementation }], [exchangeInterceptor((record) => records.push(record))]);
  const options = (extra: { header?: Headers; timeoutMs?: number; atDeadline?: "answer" | "abort" | "transport"; exchangeOf?: RpcRecord[] } = {}) => {
    const contextValues = createContextValues();
    if (extra.exchangeOf !== undefined) {
      const records = extra.exchangeOf;
      contextValues.set(EXCHANGE, openExchange((record) => records.push(record), { requestId: "given", protocol: "grpc", method: GET }));
    }
    return {
      header: extra.header ?? new Headers(),
      abort: new AbortController(),
      timeoutMs: extra.timeoutMs,
      requestMethod: "POST",
      url: "/",
      protocolName: "connect",
      contextValues,
      atDeadline: extra.atDeadline,
    };
  };

  it("settles the call's exchange OK, leaving the request id on the answer and the close to the transport", async () => {
    const records: RpcRecord[] = [];
    const given: RpcRecord[] = [];
    const call = options({ exchangeOf: given });
    const response = await callWith({ getConversation: () => ({ name: "c" }) }, records)(GET, request, call);
    expect(response.header.get("x-request-id")).toBeNull();
    expect((response.message as Conversation).name).toBe("c");
    expect(given).toEqual([]);
    const exchange = call.contextValues.get(EXCHANGE);
    expect(exchange?.entered).toBe(true);
    exchange?.close(Code.Unknown);
    expect(given.map((record) => record.code)).toEqual([0]);
    expect(records).toEqual([]);
  });

  it("settles a failure's code and puts the request id in its metadata", async () => {
    const given: RpcRecord[] = [];
    const call = options({ exchangeOf: given });
    const failing = callWith({ getConversation: () => Promise.reject(new ConnectError("gone", Code.NotFound)) }, []);
    const error = await failing(GET, request, call).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.NotFound);
    expect((error as ConnectError).metadata.get("x-request-id")).toBe("given");
    call.contextValues.get(EXCHANGE)?.close(Code.Unknown);
    expect(given.map((record) => record.code)).toEqual([Code.NotFound]);
  });

  it("records a call made without a transport's exchange itself, with the caller's request id", async () => {
    const records: RpcRecord[] = [];
    const header = new Headers({ "content-type": "application/grpc-web+proto", "x-request-id": "mine" });
    await callWith({}, records)(GET, request, options({ header })).catch(() => undefined);
    expect(records).toEqual([expect.objectContaining({ method: "GetConversation", protocol: "grpc-web", code: Code.Unimplemented, requestId: "mine" })]);
    const answered = await callWith({ getConversation: () => ({ name: "c" }) }, records)(GET, request, options({ header }));
    expect(answered.header.get("x-request-id")).toBe("mine");
  });

  it("answers DEADLINE_EXCEEDED at the deadline while the implementation still runs, by default", async () => {
    let signal: AbortSignal | undefined;
    const slow = callWith({ getConversation: (_: unknown, context: { signal: AbortSignal }) => ((signal = context.signal), new Promise(() => undefined)) }, []);
    const error = await slow(GET, request, options({ timeoutMs: 20 })).catch((caught: unknown) => caught);
    expect((error as ConnectError).code).toBe(Code.DeadlineExceeded);
    expect(signal?.aborted).toBe(true);
  });

  it("with \"abort\", aborts the signal at the deadline and waits for the implementation's answer", async () => {
    const answered = callWith(
      { getConversation: (_: unknown, context: { signal: AbortSignal }) => new Promise((resolve) => context.signal.addEventListener("abort", () => setTimeout(() => resolve({ name: "late" }), 10))) },
      [],
    );
    const response = await answered(GET, request, options({ timeoutMs: 10, atDeadline: "abort" }));
    expect((response.message as Conversation).name).toBe("late");
  });

  it("with \"transport\", leaves the deadline to the transport", async () => {
    let signal: AbortSignal | undefined;
    const slow = callWith({ getConversation: (_: unknown, context: { signal: AbortSignal }) => ((signal = context.signal), new Promise((resolve) => setTimeout(() => resolve({ name: "in time" }), 40))) }, []);
    const response = await slow(GET, request, options({ timeoutMs: 5, atDeadline: "transport" }));
    expect((response.message as Conversation).name).toBe("in time");
    expect(signal?.aborted).toBe(false);
  });

  it("tells the implementation its remaining time and the protocol", async () => {
    let seen: { protocol: string; remaining: number | undefined } | undefined;
    const call = callWith({ getConversation: (_: unknown, context: { protocolName: string; timeoutMs(): number | undefined }) => ((seen = { protocol: context.protocolName, remaining: context.timeoutMs() }), { name: "c" }) }, []);
    await call(GET, request, options({ timeoutMs: 1000 }));
    expect(seen?.protocol).toBe("connect");
    expect(seen?.remaining).toBeGreaterThan(900);
    expect(seen?.remaining).toBeLessThanOrEqual(1000);
  });
});
