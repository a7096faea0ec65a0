import { connect as connectHttp2, constants, type ClientHttp2Session } from "node:http2";
import { connect as connectTcp, type Socket } from "node:net";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GetConversationRequestSchema } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { ErrorInfoSchema } from "../src/gen/google/rpc/error_details_pb.js";
import { ServerReflection, ServerReflectionRequestSchema } from "../src/gen/grpc/reflection/v1/reflection_pb.js";
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

describe("HTTP/2 streams that never finish their request", () => {
  // Streams as many as a connection may have open, on a short request timeout.
  const TIMEOUTS = { maxConcurrentStreams: 100, requestTimeoutMs: 1000, idleTimeoutMs: 1500 };
  let test: TestServer;

  beforeAll(async () => {
    test = await startTestServer({ limits: TIMEOUTS });
  });
  afterAll(async () => {
    expect(test.internalErrors).toEqual([]);
    await test.stop();
  });

  it("resets every stream still without END_STREAM after REQUEST_TIMEOUT, whoever serves it, and serves on", async () => {
    const sessions = Array.from({ length: 25 }, () => connectHttp2(`http://127.0.0.1:${test.server.port}`));
    try {
      const streams = sessions.flatMap((session, s) =>
        Array.from({ length: TIMEOUTS.maxConcurrentStreams }, (_, i) => openSilentStream(session, SILENT_KINDS[(s + i) % SILENT_KINDS.length] ?? {})),
      );
      const ends = await within(Promise.all(streams), 20_000, "silent streams were still open");
      expect(new Set(ends.map((end) => end.rstCode))).toEqual(new Set([constants.NGHTTP2_CANCEL]));
      // Never before the timeout: a request that is merely slow is not cut short.
      expect(Math.min(...ends.map((end) => end.lifetimeMs))).toBeGreaterThanOrEqual(TIMEOUTS.requestTimeoutMs - 50);
    } finally {
      for (const session of sessions) session.destroy();
    }
    for (const protocol of ["grpc", "connect (http/2)"] as const) {
      const error = await failureOf(createClients(protocol, test.baseUrl).conversations.getConversation({ name: "projects/p/conversations/after-silence" }));
      expect([protocol, Code[error.code]]).toEqual([protocol, Code[Code.NotFound]]);
    }
  });

  it("keeps a reflection stream open while it asks with its half open, and resets it once quiet for REQUEST_TIMEOUT", async () => {
    const client = createClient(ServerReflection, createGrpcTransport({ baseUrl: test.baseUrl }));
    const asked: number[] = [];
    async function* requests() {
      // One question at once, another after the request timeout has passed since the stream opened; then silence.
      for (let i = 0; i < 3; i++) {
        asked.push(Date.now());
        yield create(ServerReflectionRequestSchema, { messageRequest: { case: "listServices", value: "" } });
        await sleep(TIMEOUTS.requestTimeoutMs / 2);
      }
      await sleep(TIMEOUTS.requestTimeoutMs * 10);
    }
    let answers = 0;
    const ended = (async () => {
      for await (const response of client.serverReflectionInfo(requests())) if (response.messageResponse.case === "listServicesResponse") answers++;
    })();
    const error = await failureOf(within(ended, TIMEOUTS.requestTimeoutMs * 5, "the quiet stream was never reset"));
    expect(Code[error.code]).toBe(Code[Code.Canceled]);
    expect(answers).toBe(3);
  });

  it("closes a connection told to go away when idle, even with a quiet server stream open", async () => {
    const session = connectHttp2(`http://127.0.0.1:${test.server.port}`);
    try {
      // Health.Watch: the request is whole at once, the answers go on as long as the client listens.
      const watch = session.request({ ":method": "POST", ":path": "/grpc.health.v1.Health/Watch", "content-type": "application/grpc", te: "trailers" });
      watch.on("error", () => undefined);
      watch.end(Buffer.alloc(5));
      await new Promise((resolve) => watch.once("data", resolve));
      const closed = new Promise((resolve) => session.once("close", resolve));
      expect(await new Promise<number>((resolve) => session.once("goaway", resolve))).toBe(constants.NGHTTP2_NO_ERROR);
      await within(closed, TIMEOUTS.requestTimeoutMs * 5, "the connection stayed open after GOAWAY");
    } finally {
      session.destroy();
    }
  });
});

// A request of each kind the port serves over HTTP/2: grpc-js, connect-node (Connect, gRPC-Web, gRPC+JSON), REST, bidi reflection.
const SILENT_KINDS: readonly Record<string, string>[] = [
  { ":path": GET, "content-type": "application/grpc", te: "trailers" },
  { ":path": GET, "content-type": "application/proto" },
  { ":path": GET, "content-type": "application/grpc-web+proto" },
  { ":path": GET, "content-type": "application/grpc+json", te: "trailers" },
  { ":path": "/v2/projects/p/conversationProfiles", "content-type": "application/json" },
  { ":path": "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", "content-type": "application/grpc", te: "trailers" },
];

/** Opens a stream with HEADERS and no END_STREAM, sends nothing more, and tells how the server ended it. */
function openSilentStream(session: ClientHttp2Session, headers: Record<string, string>): Promise<{ rstCode: number; lifetimeMs: number }> {
  const opened = performance.now();
  const stream = session.request({ ":method": "POST", ...headers }, { endStream: false });
  stream.on("error", () => undefined);
  stream.resume();
  return new Promise((resolve) => stream.once("close", () => resolve({ rstCode: stream.rstCode ?? -1, lifetimeMs: performance.now() - opened })));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `promise`, or a rejection saying `what` once `ms` have passed. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(what)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

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
