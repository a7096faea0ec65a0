import { create } from "@bufbuild/protobuf";
import { createContextValues } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { Conversations, GetConversationRequestSchema } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { OBSERVED, rpcObserver } from "../src/observability/rpc-observer.js";
import type { RpcRecord } from "../src/observability/rpc-recorder.js";
import { createUnaryCaller } from "../src/rpc/invoke-unary.js";

describe("the RPC observer", () => {
  const records: RpcRecord[] = [];
  const call = createUnaryCaller(
    [{ service: Conversations, implementation: { getConversation: () => ({ name: "c" }) } }],
    [rpcObserver((record) => records.push(record))],
  );
  const get = (protocolName: string | undefined, header: Headers) =>
    call(Conversations.method.getConversation, create(GetConversationRequestSchema, { name: "projects/p/conversations/c" }), {
      header,
      abort: new AbortController(),
      timeoutMs: undefined,
      requestMethod: "POST",
      url: "/",
      protocolName,
    });

  it("records the protocol the invoker was told, whatever the headers claim", async () => {
    await get(undefined, new Headers({ "content-type": "application/json" }));
    await get("connect", new Headers({ "content-type": "application/json", "x-transcoded-from-rest": "1" }));
    expect(records.map((record) => record.protocol)).toEqual(["rest", "connect"]);
  });

  it("has no marker shared between calls: only a watched call carries one, its own", () => {
    expect(createContextValues().get(OBSERVED)).toBeUndefined();
    const watched = createContextValues();
    const marker = { seen: false };
    watched.set(OBSERVED, marker);
    expect(watched.get(OBSERVED)).toBe(marker);
    expect(createContextValues().get(OBSERVED)).toBeUndefined();
  });
});
