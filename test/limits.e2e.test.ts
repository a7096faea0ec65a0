import { connect as connectHttp2, constants, type ClientHttp2Session } from "node:http2";
import { connect as connectTcp, type Socket } from "node:net";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GetConversationRequestSchema } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { ErrorInfoSchema } from "../src/gen/google/rpc/error_details_pb.js";
import { failureOf } from "./support/errors.js";
import { createHumanProfile, startConversation } from "./support/fixtures.js";
import { createClients, startTestServer, type Clients, type TestServer } from "./support/test-server.js";

// What a hostile or careless client can hold of the server, with limits made
// small so each is reached in a test of bounded size and time.

const LIMITS = {
  maxMessageBytes: 64 * 1024,
  maxInFlight: 4,
  maxConcurrentStreams: 5,
  maxConnections: 40,
  requestTimeoutMs: 1000,
  idleTimeoutMs: 1500,
};
const GET = "/google.cloud.dialogflow.v2.Conversations/GetConversation";

describe("limits against hostile clients", () => {
  let test: TestServer;
  let clients: Clients;
  let port: number;

  beforeAll(async () => {
    test = await startTestServer({ limits: LIMITS });
    clients = createClients("grpc", test.baseUrl);
    port = test.server.port;
  });
  afterAll(async () => {
    expect(test.internalErrors).toEqual([]);
    await test.stop();
  });

  describe("message size", () => {
    const huge = `projects/p/conversations/${"x".repeat(LIMITS.maxMessageBytes)}`;

    it("refuses a gRPC message over the limit with RESOURCE_EXHAUSTED", async () => {
      for (const protocol of ["grpc", "grpc-web (http/1.1)", "connect (http/1.1)", "connect (http/2)"] as const) {
        const error = await failureOf(createClients(protocol, test.baseUrl).conversations.getConversation({ name: huge }));
        expect([protocol, Code[error.code]]).toEqual([protocol, Code[Code.ResourceExhausted]]);
      }
    });

    it("answers a gRPC length prefix claiming 2 GB at once, without waiting for the bytes", async () => {
      const session = connectHttp2(`http://127.0.0.1:${port}`);
      try {
        const prefix = Buffer.alloc(5);
        prefix.writeUInt32BE(0x7fffffff, 1);
        const stream = session.request({ ":method": "POST", ":path": GET, "content-type": "application/grpc", te: "trailers" });
        stream.write(prefix);
        const trailers = await new Promise<Record<string, unknown>>((resolve) => {
          stream.on("trailers", resolve);
          stream.on("response", (headers) => {
            if (headers["grpc-status"] !== undefined) resolve(headers);
          });
          stream.resume();
        });
        expect(trailers["grpc-status"]).toBe(String(grpc.status.RESOURCE_EXHAUSTED));
      } finally {
        session.destroy();
      }
    });

    it("refuses a REST body over the limit with 413, by Content-Length and by what arrives", async () => {
      const body = JSON.stringify({ displayName: "x".repeat(LIMITS.maxMessageBytes) });
      const declared = await fetch(`${test.baseUrl}/v2/projects/p/conversationProfiles`, { method: "POST", body, headers: { "content-type": "application/json" } });
      expect(declared.status).toBe(413);
      expect(((await declared.json()) as { error: { status: string } }).error.status).toBe("RESOURCE_EXHAUSTED");
      const chunked = await fetch(`${test.baseUrl}/v2/projects/p/conversationProfiles`, {
        method: "POST",
        body: new Blob([body]).stream(),
        duplex: "half",
        headers: { "content-type": "application/json" },
      } as RequestInit);
      expect(chunked.status).toBe(413);
    });

    it("still serves a message just under the limit", async () => {
      const name = `projects/p/conversations/${"x".repeat(LIMITS.maxMessageBytes - 200)}`;
      const error = await failureOf(clients.conversations.getConversation({ name }));
      expect(Code[error.code]).toBe(Code[Code.InvalidArgument]);
    });
  });

  describe("work in flight", () => {
    it("refuses calls past the bound as overloaded at once, on every protocol, and serves again after", async () => {
      const parent = "projects/overload";
      const profile = await createHumanProfile(clients, parent);
      const conversation = await startConversation(clients, parent, profile, "held-row");
      const url = test.testDatabase.url;
      if (url === undefined) return; // needs a second connection to hold the row lock
      const blocker = new pg.Client({ connectionString: url });
      await blocker.connect();
      try {
        await blocker.query("BEGIN");
        await blocker.query("SELECT 1 FROM conversations WHERE id = 'held-row' FOR UPDATE");
        // Every slot waits on the lock.
        const held = Array.from({ length: LIMITS.maxInFlight }, () => clients.conversations.completeConversation({ name: conversation.name }));
        await new Promise((resolve) => setTimeout(resolve, 300));
        for (const protocol of ["grpc", "connect (http/1.1)"] as const) {
          const started = Date.now();
          const error = await failureOf(createClients(protocol, test.baseUrl).conversations.getConversation({ name: conversation.name }));
          expect(Code[error.code]).toBe(Code[Code.ResourceExhausted]);
          expect(error.rawMessage).toMatch(/overloaded/);
          expect(error.rawMessage).not.toMatch(/database/i);
          expect(error.findDetails(ErrorInfoSchema)[0]?.reason).toBe("OVERLOADED");
          expect(Date.now() - started).toBeLessThan(500);
        }
        await blocker.query("ROLLBACK");
        await Promise.all(held);
        expect((await clients.conversations.getConversation({ name: conversation.name })).name).toBe(conversation.name);
      } finally {
        await blocker.end();
      }
    });
  });

  describe("connections", () => {
    it("advertises the bound on concurrent HTTP/2 streams", async () => {
      const session = connectHttp2(`http://127.0.0.1:${port}`);
      try {
        const settings = await new Promise<{ maxConcurrentStreams?: number }>((resolve) => session.once("remoteSettings", resolve));
        expect(settings.maxConcurrentStreams).toBe(LIMITS.maxConcurrentStreams);
      } finally {
        session.destroy();
      }
    });

    it("closes a connection that sends nothing", async () => {
      const socket = await openSocket(port);
      expect(await closedWithin(socket, 3000)).toBe(true);
    });

    it("closes a slowloris HTTP/1.1 client that never finishes its headers", async () => {
      const socket = await openSocket(port);
      socket.write("GET /healthz HTTP/1.1\r\n");
      const drip = setInterval(() => socket.write("x"), 200);
      try {
        expect(await closedWithin(socket, 4000)).toBe(true);
      } finally {
        clearInterval(drip);
      }
    });

    it("drops an HTTP/2 connection that sends the preface and no stream", async () => {
      const socket = await openSocket(port);
      socket.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
      socket.write(Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])); // an empty SETTINGS frame
      socket.resume();
      expect(await closedWithin(socket, 4000)).toBe(true);
    });

    it("sends GOAWAY to an HTTP/2 connection that goes idle", async () => {
      const session: ClientHttp2Session = connectHttp2(`http://127.0.0.1:${port}`);
      try {
        const body = Buffer.from(toBinary(GetConversationRequestSchema, create(GetConversationRequestSchema, { name: "projects/p/conversations/idle" })));
        const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, body.length]), body]);
        const stream = session.request({ ":method": "POST", ":path": GET, "content-type": "application/grpc", te: "trailers" });
        stream.end(frame);
        stream.resume();
        await new Promise((resolve) => stream.once("close", resolve));
        const goaway = await new Promise<number>((resolve) => session.once("goaway", (code: number) => resolve(code)));
        expect(goaway).toBe(constants.NGHTTP2_NO_ERROR);
      } finally {
        session.destroy();
      }
    });

    it("closes connections past the cap as they arrive, and serves again once they go", async () => {
      const open: Socket[] = [];
      try {
        for (let i = 0; i < LIMITS.maxConnections; i++) open.push(await openSocket(port));
        const extra = await openSocket(port);
        expect(await closedWithin(extra, 500)).toBe(true);
      } finally {
        for (const socket of open) socket.destroy();
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      const error = await failureOf(createClients("connect (http/1.1)", test.baseUrl).conversations.getConversation({ name: "projects/p/conversations/after" }));
      expect(ConnectError.from(error).code).toBe(Code.NotFound);
    });
  });
});

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp(port, "127.0.0.1", () => resolve(socket));
    socket.once("error", reject);
  });
}

function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, ms);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve(true);
    });
    socket.on("error", () => undefined);
    socket.resume();
  });
}
