import { mkdtemp, rm } from "node:fs/promises";
import { connect as connectHttp2, type IncomingHttpHeaders } from "node:http2";
import { connect as connectTcp } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOKENS, writeTokensFile } from "./support/auth-tokens.js";
import { startService, type ServiceProcess } from "./support/service-process.js";
import { createTestDatabase, type TestDatabase } from "./support/test-database.js";

// Request targets and Host headers no client library would send, over raw
// HTTP/1.1 request lines and HTTP/2 :path headers, on every route: REST, the
// emulator reset, the console, the probes, /metrics and the RPC paths. The
// service runs as a child process, so a throw that ends it is seen as such.
// Every request is answered with a status that is not 5xx (Node's own parser
// answers what it cannot read with a 4xx), and normal calls work afterwards.

const ROUTES: ReadonlyArray<{ readonly path: string; readonly method: string }> = [
  { path: "/v2/projects/p/conversations", method: "GET" },
  { path: "/v2/projects/p/conversations/c1", method: "GET" },
  { path: "/v2/projects/p/conversations/c1:complete", method: "POST" },
  { path: "/v2/projects/p/locations/global/conversationProfiles", method: "POST" },
  { path: "/emulator/v1/projects/p", method: "DELETE" },
  { path: "/emulator/v1/projects", method: "DELETE" },
  { path: "/console", method: "GET" },
  { path: "/console/index.html", method: "GET" },
  { path: "/healthz", method: "GET" },
  { path: "/readyz", method: "GET" },
  { path: "/metrics", method: "GET" },
  { path: "/google.cloud.dialogflow.v2.Conversations/GetConversation", method: "POST" },
  { path: "/google.cloud.dialogflow.v2.ConversationProfiles/ListConversationProfiles", method: "POST" },
  { path: "/grpc.health.v1.Health/Check", method: "POST" },
];

// Appended to a route's path: escapes that do not decode, bytes that are not UTF-8, NUL, brackets.
const SUFFIXES = ["%", "%Z", "%ZZ", "/%ZZ", "%FF%FE", "/%FF%FE", "%00", "/%00", "%C0%AF", "\u0000", "/[", "]", "?%ZZ=%FF", "?$alt=%", "/..%2F..%2F", "//"];
// Put in front of a route's path, or sent alone: what the URL parser reads as an authority.
const PREFIXES = ["//[", "//%", "//a:b", "//a:99999", "http://[::1", "http://[::1]", "http://a:99999", "http://x", "https://x", "ftp://x", "x:", "*"];
const HOSTS = ["[", "", "a:99999", "a:b", "%", "[::1", "a/b", "a@b"];
const CONTENT_TYPES = ["application/json", "application/proto", "application/grpc-web+proto", "application/connect+json"];
// Over every parser's limit (Node answers 431, nghttp2 refuses the stream), and within them.
const LONG = `/${"a".repeat(100_000)}`;
const LONGISH = `/${"%ZZ".repeat(3_000)}`;

interface Probe {
  readonly method: string;
  readonly target: string;
  readonly host: string;
  readonly contentType: string;
}

/** Every route with every suffix and prefix, each route with each bad Host, and a few targets alone. */
function probes(): Probe[] {
  const out: Probe[] = [];
  let turn = 0;
  const add = (method: string, target: string, host = "127.0.0.1") =>
    out.push({ method, target, host, contentType: CONTENT_TYPES[turn++ % CONTENT_TYPES.length] ?? "application/json" });
  for (const { path, method } of ROUTES) {
    for (const suffix of SUFFIXES) add(method, path + suffix);
    for (const prefix of PREFIXES) add(method, prefix + path);
    for (const host of HOSTS) add(method, path, host);
    add(method, path + LONG);
    add(method, path + LONGISH);
  }
  for (const target of [...PREFIXES, "/", "?", "//", "///", LONG, LONGISH]) add("GET", target);
  return out;
}

type Answer = { readonly status: number; readonly grpcStatus?: string; readonly body?: string } | { readonly closed: string };

/** One raw HTTP/1.1 request on a connection of its own; bytes are sent as written (latin1). */
function overHttp1(port: number, probe: Probe, authorization: string | undefined): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to ${probe.method} ${probe.target.slice(0, 80)} (Host ${probe.host})`));
    }, 10_000);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", () => undefined); // a reset after the answer; "close" tells what arrived
    socket.on("close", () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString("latin1");
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve(status === null ? { closed: "without an answer" } : { status: Number(status[1]), body: text.slice(text.indexOf("\r\n\r\n") + 4) });
    });
    const headers = [`Host: ${probe.host}`, `content-type: ${probe.contentType}`, "content-length: 2", "connection: close"];
    if (authorization !== undefined) headers.push(`authorization: ${authorization}`);
    // Not ended: a half-closed connection may be closed before a slower answer is written. The server closes it.
    socket.write(Buffer.from(`${probe.method} ${probe.target} HTTP/1.1\r\n${headers.join("\r\n")}\r\n\r\n{}`, "latin1"));
  });
}

/** One HTTP/2 stream with the target as :path, on a session of its own (a refused stream may end the session). */
function overHttp2(port: number, probe: Probe, authorization: string | undefined, contentType: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const session = connectHttp2(`http://127.0.0.1:${port}`);
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error(`no answer over HTTP/2 to ${probe.method} ${probe.target.slice(0, 80)} (:authority ${probe.host})`));
    }, 10_000);
    const done = (answer: Answer) => {
      clearTimeout(timer);
      session.destroy();
      resolve(answer);
    };
    session.on("error", (error: Error) => done({ closed: error.message }));
    const headers: Record<string, string> = { ":method": probe.method, ":path": probe.target, ":authority": probe.host, "content-type": contentType, te: "trailers" };
    if (authorization !== undefined) headers.authorization = authorization;
    let stream;
    try {
      stream = session.request(headers);
    } catch (error) {
      // Node's client refuses to send some of these (a NUL in :path); nothing reached the server.
      return done({ closed: `not sent: ${(error as Error).message}` });
    }
    let answer: { status: number; grpcStatus?: string } | undefined;
    const grpcStatus = (fields: IncomingHttpHeaders) => (typeof fields["grpc-status"] === "string" ? fields["grpc-status"] : undefined);
    stream.on("response", (fields) => (answer = { status: Number(fields[":status"]), grpcStatus: grpcStatus(fields) }));
    stream.on("trailers", (fields) => {
      if (answer !== undefined) answer = { ...answer, grpcStatus: answer.grpcStatus ?? grpcStatus(fields) };
    });
    stream.on("error", (error: Error) => done(answer ?? { closed: error.message }));
    stream.on("close", () => done(answer ?? { closed: `stream closed (code ${stream.rstCode})` }));
    stream.resume();
    // Node's client ends GET and DELETE streams itself.
    if (!stream.writableEnded) stream.end(contentType === "application/grpc" ? Buffer.alloc(5) : "{}");
  });
}

/** Runs `work` over the items, `parallel` at a time. */
async function eachInParallel<T>(items: readonly T[], parallel: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

function describeAnswer(answer: Answer): string {
  return "status" in answer ? `${answer.status}${answer.grpcStatus === undefined ? "" : ` grpc-status ${answer.grpcStatus}`}` : `closed: ${answer.closed}`;
}

for (const auth of [false, true]) {
  describe(`malformed request targets, auth ${auth ? "on" : "off"}`, () => {
    let testDatabase: TestDatabase;
    let dir: string;
    let tokens: Awaited<ReturnType<typeof writeTokensFile>> | undefined;
    let service: ServiceProcess;
    let port: number;
    // Any valid token reaches past the credentials gate; root reaches every route's own checks too.
    const authorization = auth ? `Bearer ${TOKENS.root}` : undefined;

    beforeAll(async () => {
      [testDatabase, dir] = await Promise.all([createTestDatabase(), mkdtemp(join(tmpdir(), "conversations-target-fuzz-"))]);
      tokens = auth ? await writeTokensFile() : undefined;
      const database: Record<string, string> = testDatabase.url === undefined ? { DATA_DIR: join(dir, "data") } : { DATABASE_URL: testDatabase.url };
      service = startService([], {
        PORT: "0",
        SWEEP_INTERVAL: "0",
        EMULATOR_RESET: "true",
        ...database,
        ...(tokens === undefined ? {} : { AUTH_TOKENS_FILE: tokens.file }),
      });
      port = await service.serving;
    });
    afterAll(async () => {
      if (service.child.exitCode === null && service.child.signalCode === null) {
        service.child.kill("SIGTERM");
        await service.exited;
      }
      await Promise.all([testDatabase.dispose(), tokens?.dispose(), rm(dir, { recursive: true, force: true })]);
    });

    /** A normal REST call and a probe still work: the process is alive and serving. */
    async function expectServing(): Promise<void> {
      expect(service.child.exitCode, service.stderr()).toBeNull();
      const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
      const missing = await fetch(`http://127.0.0.1:${port}/v2/projects/p/conversations/absent`, { headers });
      expect(missing.status).toBe(404);
      expect(((await missing.json()) as { error: { status: string } }).error.status).toBe("NOT_FOUND");
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    }

    const all = probes();

    /** The REST error a raw request is answered with. */
    async function restErrorOf(method: string, target: string, host = "127.0.0.1") {
      const answer = await overHttp1(port, { method, target, host, contentType: "application/json" }, authorization);
      if (!("status" in answer)) throw new Error(`${target}: ${answer.closed}`);
      const { error } = JSON.parse(answer.body ?? "") as {
        error: { status: string; message: string; details: Array<{ reason?: string; fieldViolations?: Array<{ field: string }> }> };
      };
      return { httpStatus: answer.status, status: error.status, message: error.message, details: error.details };
    }

    it("answers a bad percent-escape in a REST name or the reset route's project with 400 INVALID_ARGUMENT naming the field", async () => {
      for (const [method, target, field] of [
        ["GET", "/v2/projects/p/conversations/%ZZ", "name"],
        ["GET", "/v2/projects/p/conversations/%FF%FE", "name"],
        ["POST", "/v2/projects/p%ZZ/conversations", "parent"],
        ["DELETE", "/emulator/v1/projects/%ZZ", "project"],
      ] as const) {
        const error = await restErrorOf(method, target);
        expect(error, target).toMatchObject({ httpStatus: 400, status: "INVALID_ARGUMENT" });
        expect(error.message, target).toMatch(new RegExp(`^Invalid ${field}: .* is not valid percent-encoding`));
        expect(error.details, target).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ fieldViolations: [expect.objectContaining({ field, reason: "MALFORMED_PERCENT_ENCODING" })] }),
            expect.objectContaining({ reason: "MALFORMED_PERCENT_ENCODING" }),
          ]),
        );
      }
    });

    it("answers a target that is not a path or URL, and a Host that is not host[:port], with 400 MALFORMED_REQUEST_TARGET", async () => {
      for (const [target, host] of [
        ["http://[::1", "127.0.0.1"],
        ["/healthz", "["],
        ["/v2/projects/p/conversations", "a:99999"],
        ["/google.cloud.dialogflow.v2.Conversations/GetConversation", "["],
      ] as const) {
        const error = await restErrorOf(target.startsWith("/google") ? "POST" : "GET", target, host);
        expect(error, `${target} Host ${host}`).toMatchObject({ httpStatus: 400, status: "INVALID_ARGUMENT", details: [expect.objectContaining({ reason: "MALFORMED_REQUEST_TARGET" })] });
      }
      // A path the URL parser would read as an authority is only a path no route serves.
      expect(await restErrorOf("GET", "//[")).toMatchObject({ httpStatus: 404, status: "NOT_FOUND" });
      await expectServing();
    });

    it(`answers ${all.length} raw HTTP/1.1 requests with 4xx or success, and keeps serving`, async () => {
      await expectServing();
      const bad: string[] = [];
      await eachInParallel(all, 8, async (probe) => {
        const answer = await overHttp1(port, probe, authorization);
        if (!("status" in answer) || answer.status >= 500) bad.push(`${probe.method} ${JSON.stringify(probe.target.slice(0, 80))} Host ${JSON.stringify(probe.host)}: ${describeAnswer(answer)}`);
      });
      expect(bad).toEqual([]);
      await expectServing();
    });

    it(`answers ${all.length} HTTP/2 streams (gRPC, Connect, REST) without 5xx or INTERNAL, and keeps serving`, async () => {
      await expectServing();
      const bad: string[] = [];
      let answered = 0;
      await eachInParallel(all, 8, async (probe) => {
        const grpc = probe.method === "POST" && probe.target.includes(".v");
        const answer = await overHttp2(port, probe, authorization, grpc ? "application/grpc" : probe.contentType);
        const failed =
          "status" in answer
            ? answer.status >= 500 || answer.grpcStatus === "13" || answer.grpcStatus === "2"
            : // Refused by Node's client before sending, or by the server's HTTP/2 parser (nghttp2) before any
              // handler saw it: a :path that is not origin-form, a NUL, a header list over the limit.
              !/^not sent|NGHTTP2_PROTOCOL_ERROR|NGHTTP2_REFUSED_STREAM/.test(answer.closed);
        if ("status" in answer) answered++;
        if (failed) bad.push(`${probe.method} ${JSON.stringify(probe.target.slice(0, 80))} :authority ${JSON.stringify(probe.host)}: ${describeAnswer(answer)}`);
      });
      expect(bad).toEqual([]);
      // Most reach the service: only targets HTTP/2 does not allow are refused before it.
      expect(answered).toBeGreaterThan(all.length / 2);
      await expectServing();
    });
  });
}
