import { createClient } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Conversations } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { captureLog } from "./support/captured-log.js";
import { failureOf } from "./support/errors.js";
import { createHumanProfile, startConversation } from "./support/fixtures.js";
import { PROTOCOLS, createClients, createTransport, startTestServer, type TestServer } from "./support/test-server.js";

// Logs, metrics and health endpoints, read the way an operator reads them.

interface LogLine {
  msg: string;
  service?: string;
  method?: string;
  protocol?: string;
  code?: string;
  durationMs?: number;
  requestId?: string;
}

describe("operations surface", () => {
  let test: TestServer;
  const { log, lines } = captureLog<LogLine>();

  beforeAll(async () => {
    test = await startTestServer({ log, sweepIntervalSeconds: 0.1 });
  });
  afterAll(async () => {
    await test.stop();
  });

  const rpcLines = () => lines.filter((line) => line.msg === "rpc");

  it("logs one line per RPC with service, method, protocol, code, duration and request id", async () => {
    for (const protocol of PROTOCOLS) {
      const client = createClient(Conversations, createTransport(protocol, test.baseUrl));
      await failureOf(client.getConversation({ name: "projects/p/conversations/missing" }));
    }
    await fetch(`${test.baseUrl}/v2/projects/p/conversations/missing`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const gets = rpcLines().filter((line) => line.method === "GetConversation");
    expect(gets.map((line) => line.protocol).sort()).toEqual(["connect", "connect", "grpc", "grpc-web", "rest"]);
    for (const line of gets) {
      expect(line).toMatchObject({ service: "google.cloud.dialogflow.v2.Conversations", code: "NOT_FOUND" });
      expect(line.durationMs).toBeGreaterThanOrEqual(0);
      expect(line.requestId).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it("takes a call's protocol from how it came, not from a header the client sent", async () => {
    // A header REST once set on its own calls: a Connect client sending it is still a Connect call.
    await fetch(`${test.baseUrl}/google.cloud.dialogflow.v2.Conversations/GetConversation`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-transcoded-from-rest": "1", "x-request-id": "claimed-rest-1" },
      body: JSON.stringify({ name: "projects/p/conversations/missing" }),
    });
    await fetch(`${test.baseUrl}/v2/projects/p/conversations/missing`, { headers: { "x-request-id": "plain-rest-1" } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const protocolOf = (requestId: string) => rpcLines().find((line) => line.requestId === requestId)?.protocol;
    expect(protocolOf("claimed-rest-1")).toBe("connect");
    expect(protocolOf("plain-rest-1")).toBe("rest");
  });

  it("honours and echoes an incoming x-request-id, on success and on error", async () => {
    const ok = await fetch(`${test.baseUrl}/v2/projects/p/conversationProfiles`, { headers: { "x-request-id": "trace-ok-1" } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("x-request-id")).toBe("trace-ok-1");
    const failed = await fetch(`${test.baseUrl}/google.cloud.dialogflow.v2.Conversations/GetConversation`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "trace-err-2" },
      body: JSON.stringify({ name: "bad" }),
    });
    expect(failed.status).toBe(400);
    expect(failed.headers.get("x-request-id")).toBe("trace-err-2");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(rpcLines().map((line) => line.requestId)).toEqual(expect.arrayContaining(["trace-ok-1", "trace-err-2"]));
  });

  it("logs and counts a call whose request cannot be decoded, like any other", async () => {
    const sent = await fetch(`${test.baseUrl}/google.cloud.dialogflow.v2.Conversations/ListConversations`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "undecodable-1" },
      body: "{not json",
    });
    expect(sent.status).toBe(400);
    expect(sent.headers.get("x-request-id")).toBe("undecodable-1");
    // gRPC-Web through connect-node, without an id of the caller's: the answer and the log line quote one fresh id.
    const grpcWeb = await fetch(`${test.baseUrl}/google.cloud.dialogflow.v2.Conversations/GetConversation`, {
      method: "POST",
      headers: { "content-type": "application/grpc-web+proto" },
      body: new Uint8Array([0, 0, 0, 0, 3, 0xff, 0xff, 0xff]),
    });
    await grpcWeb.arrayBuffer();
    const freshId = grpcWeb.headers.get("x-request-id");
    expect(freshId).toMatch(/^[0-9a-f-]{36}$/);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(rpcLines().find((line) => line.requestId === freshId)).toMatchObject({ method: "GetConversation", protocol: "grpc-web", code: "INVALID_ARGUMENT" });
    expect(rpcLines().find((line) => line.requestId === "undecodable-1")).toMatchObject({
      service: "google.cloud.dialogflow.v2.Conversations",
      method: "ListConversations",
      protocol: "connect",
      code: "INVALID_ARGUMENT",
    });
    const metrics = await (await fetch(`${test.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/rpc_requests_total\{service="google.cloud.dialogflow.v2.Conversations",method="ListConversations",code="INVALID_ARGUMENT"\} [1-9]/);
  });

  it("logs and counts a REST request refused before its call, and nothing for a path no method serves", async () => {
    const send = (method: string, path: string, requestId: string, body?: string) =>
      fetch(`${test.baseUrl}${path}`, { method, headers: { "content-type": "application/json", "x-request-id": requestId }, body });
    expect((await send("POST", "/v2/projects/p/conversations", "rest-bad-json", "{not json")).status).toBe(400);
    expect((await send("POST", "/v2/projects/p/conversations", "rest-too-large", " ".repeat(4 * 1024 * 1024 + 1))).status).toBe(413);
    expect((await send("PUT", "/v2/projects/p/conversations/c", "rest-wrong-verb")).status).toBe(405);
    expect((await send("GET", "/v2/projects/p/nothing-here", "rest-no-route")).status).toBe(404);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const lineOf = (requestId: string) => rpcLines().find((line) => line.requestId === requestId);
    const conversations = { service: "google.cloud.dialogflow.v2.Conversations", protocol: "rest" };
    expect(lineOf("rest-bad-json")).toMatchObject({ ...conversations, method: "CreateConversation", code: "INVALID_ARGUMENT" });
    expect(lineOf("rest-too-large")).toMatchObject({ ...conversations, method: "CreateConversation", code: "RESOURCE_EXHAUSTED" });
    // A verb the path does not serve is counted against the method the path does serve.
    expect(lineOf("rest-wrong-verb")).toMatchObject({ ...conversations, method: "GetConversation", code: "INVALID_ARGUMENT" });
    expect(lineOf("rest-no-route")).toBeUndefined();
    const metrics = await (await fetch(`${test.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/rpc_requests_total\{service="google.cloud.dialogflow.v2.Conversations",method="CreateConversation",code="RESOURCE_EXHAUSTED"\} 1/);
  });

  it("exports RPC counts by code, latency histograms, and sweep counts on /metrics", async () => {
    const clients = createClients("grpc", test.baseUrl);
    const profile = await createHumanProfile(clients, "projects/metered");
    await startConversation(clients, "projects/metered", profile);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const response = await fetch(`${test.baseUrl}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(/rpc_requests_total\{service="google.cloud.dialogflow.v2.Conversations",method="CreateConversation",code="OK"\} 1/);
    expect(text).toMatch(/rpc_requests_total\{service="google.cloud.dialogflow.v2.Conversations",method="GetConversation",code="NOT_FOUND"\} [1-9]/);
    expect(text).toMatch(/rpc_duration_seconds_bucket\{le="0.005",service="google.cloud.dialogflow.v2.Conversations",method="CreateConversation"\}/);
    expect(text).toMatch(/sweep_conversations_total\{kind="completed"\} 0/);
    if (test.testDatabase.url !== undefined) expect(text).toMatch(/db_pool_connections\{state="total"\} [1-9]/);
  });

  it("answers /healthz, and /readyz while the database answers", async () => {
    expect((await fetch(`${test.baseUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${test.baseUrl}/readyz`)).status).toBe(200);
  });
});

describe("readiness without a database", () => {
  it("answers /readyz with 503 and health NOT_SERVING once the database is gone, while /healthz stays 200", async () => {
    const test = await startTestServer();
    try {
      await test.testDatabase.database.close();
      expect((await fetch(`${test.baseUrl}/readyz`)).status).toBe(503);
      expect((await fetch(`${test.baseUrl}/healthz`)).status).toBe(200);
    } finally {
      await test.stop();
    }
  });
});
