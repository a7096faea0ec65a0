import { gzipSync } from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GetConversationRequestSchema } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { postThenGoAway } from "./support/abandoned-request.js";
import { useRowLockHolder } from "./support/row-lock-holder.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

// Unary Connect calls over HTTP/1.1, as plain fetch sends them. Common calls
// are served without connect-node's handler; every other spelling of a call
// still reaches connect-node, and both must answer alike.

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const GET = "/google.cloud.dialogflow.v2.Conversations/GetConversation";
const COMPLETE = "/google.cloud.dialogflow.v2.Conversations/CompleteConversation";
const CREATE = "/google.cloud.dialogflow.v2.Conversations/CreateConversation";
const CREATE_PROFILE = "/google.cloud.dialogflow.v2.ConversationProfiles/CreateConversationProfile";
const MAX_MESSAGE_BYTES = 2048;

describe("unary Connect calls", () => {
  let test: TestServer;
  let profile: string;
  const parent = "projects/connect-unary/locations/global";

  async function post(path: string, body: string | Uint8Array, headers: Record<string, string> = {}): Promise<Answer> {
    const response = await fetch(`${test.baseUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : new Uint8Array(body),
    });
    const seen: Record<string, string> = {};
    // The request id is fresh per call and the date moves on: neither can match between two calls.
    response.headers.forEach((value, key) => {
      if (key !== "x-request-id" && key !== "date") seen[key] = value;
    });
    return { status: response.status, headers: seen, body: Buffer.from(await response.arrayBuffer()).toString("base64") };
  }

  async function createConversation(id: string): Promise<string> {
    const answer = await post(CREATE, JSON.stringify({ parent, conversationId: id, conversation: { conversationProfile: profile } }));
    expect(answer.status).toBe(200);
    return (JSON.parse(Buffer.from(answer.body, "base64").toString()) as { name: string }).name;
  }

  beforeAll(async () => {
    test = await startTestServer({ limits: { maxMessageBytes: MAX_MESSAGE_BYTES } });
    const created = await post(CREATE_PROFILE, JSON.stringify({ parent, conversationProfile: { displayName: "connect unary" } }));
    profile = (JSON.parse(Buffer.from(created.body, "base64").toString()) as { name: string }).name;
  });
  afterAll(async () => {
    expect(test.internalErrors).toEqual([]);
    await test.stop();
  });

  it("answers as connect-node does, for calls that succeed, fail, or cannot be decoded", async () => {
    const name = await createConversation("parity");
    const proto = toBinary(GetConversationRequestSchema, create(GetConversationRequestSchema, { name }));
    // Each request as the common spelling, then as one only connect-node takes (its content type matches case-insensitively).
    const cases: { body: string | Uint8Array; type: string; other: string; headers?: Record<string, string> }[] = [
      { body: JSON.stringify({ name }), type: "application/json", other: "application/JSON" },
      { body: JSON.stringify({ name }), type: "application/json; charset=utf-8", other: "application/json;charset=utf-8" },
      { body: proto, type: "application/proto", other: "application/PROTO" },
      { body: JSON.stringify({ name: `${parent}/conversations/missing` }), type: "application/json", other: "application/JSON" },
      { body: JSON.stringify({ name: "not a name" }), type: "application/json", other: "application/JSON" },
      { body: "{not json", type: "application/json", other: "application/JSON" },
      { body: JSON.stringify({ name, unknownField: 1 }), type: "application/json", other: "application/JSON" },
      { body: JSON.stringify({ name: 7 }), type: "application/json", other: "application/JSON" },
      { body: new Uint8Array([0xff, 0xff, 0xff]), type: "application/proto", other: "application/PROTO" },
      { body: JSON.stringify({ name: "x".repeat(MAX_MESSAGE_BYTES) }), type: "application/json", other: "application/JSON" },
      { body: JSON.stringify({ name }), type: "application/json", other: "application/JSON", headers: { "connect-protocol-version": "1", "connect-timeout-ms": "5000" } },
    ];
    for (const { body, type, other, headers } of cases) {
      const fast = await post(GET, body, { ...headers, "content-type": type });
      const slow = await post(GET, body, { ...headers, "content-type": other });
      expect(fast).toEqual(slow);
    }
  });

  it("echoes the caller's x-request-id", async () => {
    const response = await fetch(`${test.baseUrl}${GET}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "connect-unary-id" },
      body: JSON.stringify({ name: `${parent}/conversations/missing` }),
    });
    expect(response.status).toBe(404);
    expect(response.headers.get("x-request-id")).toBe("connect-unary-id");
  });

  it("serves a gzip-compressed request (through connect-node)", async () => {
    const name = await createConversation("gzip");
    const answer = await post(GET, gzipSync(JSON.stringify({ name })), { "content-encoding": "gzip" });
    expect(answer.status).toBe(200);
    expect(JSON.parse(Buffer.from(answer.body, "base64").toString())).toHaveProperty("name", name);
  });

  describe("while CompleteConversation waits on a row lock", () => {
    const rowLock = useRowLockHolder(() => test.testDatabase.url);

    async function lockRow(id: string): Promise<string> {
      const name = await createConversation(id);
      await rowLock.lock(id);
      return name;
    }

    // The second content type is one only connect-node takes: both must answer alike.
    it.each(["application/json", "application/JSON"])("answers deadline_exceeded at the connect-timeout-ms deadline and cancels the statement (%s)", async (type) => {
      const name = await lockRow(`connect-deadline-${type.endsWith("json") ? "fast" : "node"}`);
      try {
        const started = Date.now();
        const response = await fetch(`${test.baseUrl}${COMPLETE}`, {
          method: "POST",
          headers: { "content-type": type, "connect-protocol-version": "1", "connect-timeout-ms": "300" },
          body: JSON.stringify({ name }),
        });
        expect(response.status).toBe(504);
        expect(response.headers.get("content-type")).toBe("application/json");
        expect(response.headers.get("x-request-id")).toMatch(/./);
        expect(await response.json()).toHaveProperty("code", "deadline_exceeded");
        expect(Date.now() - started).toBeLessThan(2000);
        expect(await rowLock.waitingCompletes()).toBe(0);
      } finally {
        await rowLock.release();
      }
    });

    it("cancels the statement when the caller goes away", async () => {
      const name = await lockRow("connect-gone");
      try {
        await postThenGoAway(`${test.baseUrl}${COMPLETE}`, JSON.stringify({ name }));
        expect(await rowLock.waitingCompletes()).toBe(0);
      } finally {
        await rowLock.release();
      }
    });
  });
});
