import { connect as http2Connect } from "node:http2";
import { Code, type ConnectError } from "@connectrpc/connect";
import { encodeEnvelope } from "@connectrpc/connect/protocol";
import { errorFromJsonBytes } from "@connectrpc/connect/protocol-connect";
import { findTrailerError } from "@connectrpc/connect/protocol-grpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthorizer } from "../src/auth/authorizer.js";
import { ErrorInfoSchema } from "../src/gen/google/rpc/error_details_pb.js";
import { TOKENS, writeTokensFile } from "./support/auth-tokens.js";
import { captureLog } from "./support/captured-log.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

// With auth on, a request without valid credentials is refused before it is
// routed or read: the caller gets UNAUTHENTICATED, never the NOT_FOUND,
// METHOD_NOT_ALLOWED or INVALID_ARGUMENT that would tell it something about
// its request. With a valid token the same requests get those answers.

const PARENT = "projects/alpha/locations/global";
const GET_CONVERSATION = "/google.cloud.dialogflow.v2.Conversations/GetConversation";
// Not protobuf: a varint that never ends.
const NOT_PROTOBUF = new Uint8Array([0xff, 0xff, 0xff]);

interface Answer {
  /** The canonical code, as REST spells it ("UNAUTHENTICATED"), or "OK". */
  readonly status: string;
  readonly reason: string | undefined;
  readonly httpStatus: number;
  readonly statements: number;
}

describe("auth before the request is read", () => {
  let test: TestServer;
  let tokens: Awaited<ReturnType<typeof writeTokensFile>>;
  const { log, lines } = captureLog<{ msg: string; method?: string; protocol?: string; code?: string; requestId?: string }>();

  beforeAll(async () => {
    tokens = await writeTokensFile();
    test = await startTestServer({ log, authorizer: await createAuthorizer({ tokensFile: tokens.file }) });
  });
  afterAll(async () => {
    expect(test.internalErrors).toEqual([]);
    await test.stop();
    await tokens.dispose();
  });

  const authorization = (token: string | undefined): Record<string, string> => (token === undefined ? {} : { authorization: `Bearer ${token}` });

  async function counted(call: () => Promise<Omit<Answer, "statements">>): Promise<Answer> {
    const before = test.server.database.statementCount;
    const answer = await call();
    return { ...answer, statements: test.server.database.statementCount - before };
  }

  /** A REST call, answered in Google's error shape. */
  function rest(method: string, path: string, token: string | undefined, body?: string): Promise<Answer> {
    return counted(async () => {
      const response = await fetch(`${test.baseUrl}${path}`, { method, headers: { "content-type": "application/json", ...authorization(token) }, body });
      const json = (await response.json()) as { error?: { status: string; details: { reason?: string }[] } };
      return { status: json.error?.status ?? "OK", reason: json.error?.details.find((each) => each.reason !== undefined)?.reason, httpStatus: response.status };
    });
  }

  /** A Connect unary call by hand, so its body can be anything. */
  function connectUnary(path: string, contentType: string, token: string | undefined, body: Uint8Array<ArrayBuffer> | string): Promise<Answer> {
    return counted(async () => {
      const response = await fetch(`${test.baseUrl}${path}`, { method: "POST", headers: { "content-type": contentType, ...authorization(token) }, body });
      const bytes = new Uint8Array(await response.arrayBuffer());
      if (response.status === 200) return { status: "OK", reason: undefined, httpStatus: 200 };
      return { ...describeError(errorFromJsonBytes(bytes, undefined, new Error("no error JSON") as ConnectError)), httpStatus: response.status };
    });
  }

  /** A gRPC-Web call over HTTP/1.1 by hand; the status comes in the headers (trailers-only) or in the body's trailer. */
  function grpcWeb(path: string, token: string | undefined, message: Uint8Array): Promise<Answer> {
    return counted(async () => {
      const response = await fetch(`${test.baseUrl}${path}`, {
        method: "POST",
        headers: { "content-type": "application/grpc-web+proto", ...authorization(token) },
        body: encodeEnvelope(0, message),
      });
      const body = Buffer.from(await response.arrayBuffer());
      const trailer = new Headers(response.headers);
      // A trailer frame (flag 0x80) carries the status after the messages.
      const at = body.indexOf(0x80);
      if (!trailer.has("grpc-status") && at >= 0) {
        for (const line of body.subarray(at + 5).toString().split("\r\n")) {
          const [name, ...value] = line.split(":");
          if (name !== undefined && name !== "") trailer.set(name.trim(), value.join(":").trim());
        }
      }
      return { ...grpcAnswer(trailer), httpStatus: response.status };
    });
  }

  /** A gRPC call over HTTP/2 by hand (grpc-js serves it), with any message bytes. */
  function grpc(path: string, token: string | undefined, message: Uint8Array): Promise<Answer> {
    return counted(
      () =>
        new Promise((resolve, reject) => {
          const session = http2Connect(test.baseUrl);
          session.on("error", reject);
          const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", ...authorization(token) });
          const status = new Headers();
          const take = (headers: Record<string, unknown>) => {
            for (const [name, value] of Object.entries(headers)) if (typeof value === "string" && name.startsWith("grpc-")) status.set(name, value);
          };
          stream.on("response", take);
          stream.on("trailers", take);
          stream.resume();
          stream.on("close", () => {
            session.close();
            resolve({ ...grpcAnswer(status), httpStatus: 200 });
          });
          stream.end(encodeEnvelope(0, message));
        }),
    );
  }

  describe("REST", () => {
    it("answers 401 for an unknown path under /v2/, and 404 once the token is valid", async () => {
      expect(await rest("GET", `/v2/${PARENT}/nothingHere`, undefined)).toMatchObject({ httpStatus: 401, status: "UNAUTHENTICATED", reason: "CREDENTIALS_MISSING", statements: 0 });
      expect(await rest("GET", `/v2/${PARENT}/nothingHere`, "not-a-token-we-issued")).toMatchObject({ httpStatus: 401, status: "UNAUTHENTICATED", reason: "ACCESS_TOKEN_INVALID" });
      expect(await rest("GET", `/v2/${PARENT}/nothingHere`, TOKENS.alphaReader)).toMatchObject({ httpStatus: 404, status: "NOT_FOUND", reason: "UNKNOWN_ROUTE" });
    });

    it("answers 401 for a method the path does not allow, and 405 once the token is valid", async () => {
      expect(await rest("PUT", `/v2/${PARENT}/conversations`, undefined, "{}")).toMatchObject({ httpStatus: 401, status: "UNAUTHENTICATED", statements: 0 });
      expect(await rest("PUT", `/v2/${PARENT}/conversations`, TOKENS.alphaEditor, "{}")).toMatchObject({ httpStatus: 405, reason: "HTTP_METHOD_NOT_ALLOWED" });
    });

    it("answers 401 for a body that is not JSON, and 400 once the token is valid", async () => {
      expect(await rest("POST", `/v2/${PARENT}/conversations`, undefined, "{nope")).toMatchObject({ httpStatus: 401, status: "UNAUTHENTICATED", reason: "CREDENTIALS_MISSING", statements: 0 });
      expect(await rest("POST", `/v2/${PARENT}/conversations`, TOKENS.alphaEditor, "{nope")).toMatchObject({ httpStatus: 400, status: "INVALID_ARGUMENT", reason: "INVALID_JSON_BODY" });
    });

    it("answers 401 for a path outside the API, and 404 once the token is valid", async () => {
      expect(await rest("GET", "/nothing-here", undefined)).toMatchObject({ httpStatus: 401, status: "UNAUTHENTICATED", statements: 0 });
      expect(await rest("GET", "/nothing-here", TOKENS.alphaReader)).toMatchObject({ httpStatus: 404, reason: "UNKNOWN_ROUTE" });
    });
  });

  describe("Connect", () => {
    it("answers UNAUTHENTICATED for JSON that does not parse, and INVALID_ARGUMENT once the token is valid", async () => {
      expect(await connectUnary(GET_CONVERSATION, "application/json", undefined, "{nope")).toMatchObject({ httpStatus: 401, status: "UNAUTHENTICATED", reason: "CREDENTIALS_MISSING", statements: 0 });
      expect(await connectUnary(GET_CONVERSATION, "application/json", TOKENS.alphaReader, "{nope")).toMatchObject({ httpStatus: 400, status: "INVALID_ARGUMENT" });
    });

    it("answers UNAUTHENTICATED for bytes that are not protobuf, and INVALID_ARGUMENT once the token is valid", async () => {
      expect(await connectUnary(GET_CONVERSATION, "application/proto", "not-a-token-we-issued", NOT_PROTOBUF)).toMatchObject({ httpStatus: 401, status: "UNAUTHENTICATED", reason: "ACCESS_TOKEN_INVALID", statements: 0 });
      expect(await connectUnary(GET_CONVERSATION, "application/proto", TOKENS.alphaReader, NOT_PROTOBUF)).toMatchObject({ httpStatus: 400, status: "INVALID_ARGUMENT" });
    });

    it("answers UNAUTHENTICATED for a method the service does not serve, and NOT_FOUND once the token is valid", async () => {
      const path = "/google.cloud.dialogflow.v2.Sessions/DetectIntent";
      expect(await connectUnary(path, "application/json", undefined, "{}")).toMatchObject({ httpStatus: 401, status: "UNAUTHENTICATED", statements: 0 });
      expect((await connectUnary(path, "application/json", TOKENS.alphaReader, "{}")).httpStatus).toBe(404);
    });
  });

  describe("gRPC-Web", () => {
    it("answers UNAUTHENTICATED for bytes that are not protobuf, and INVALID_ARGUMENT once the token is valid", async () => {
      expect(await grpcWeb(GET_CONVERSATION, undefined, NOT_PROTOBUF)).toMatchObject({ status: "UNAUTHENTICATED", reason: "CREDENTIALS_MISSING", statements: 0 });
      expect(await grpcWeb(GET_CONVERSATION, TOKENS.alphaReader, NOT_PROTOBUF)).toMatchObject({ status: "INVALID_ARGUMENT" });
    });
  });

  describe("gRPC", () => {
    it("answers UNAUTHENTICATED for bytes that are not protobuf, and INVALID_ARGUMENT once the token is valid", async () => {
      expect(await grpc(GET_CONVERSATION, undefined, NOT_PROTOBUF)).toMatchObject({ status: "UNAUTHENTICATED", reason: "CREDENTIALS_MISSING", statements: 0 });
      expect(await grpc(GET_CONVERSATION, "not-a-token-we-issued", NOT_PROTOBUF)).toMatchObject({ status: "UNAUTHENTICATED", reason: "ACCESS_TOKEN_INVALID" });
      expect(await grpc(GET_CONVERSATION, TOKENS.alphaReader, NOT_PROTOBUF)).toMatchObject({ status: "INVALID_ARGUMENT" });
    });

    it("answers UNAUTHENTICATED for a method the service does not serve, and UNIMPLEMENTED once the token is valid", async () => {
      const path = "/google.cloud.dialogflow.v2.Sessions/DetectIntent";
      expect(await grpc(path, undefined, new Uint8Array())).toMatchObject({ status: "UNAUTHENTICATED", statements: 0 });
      expect(await grpc(path, TOKENS.alphaReader, new Uint8Array())).toMatchObject({ status: "UNIMPLEMENTED" });
    });

    it("counts the calls it refuses by method, and no method a caller made up", async () => {
      await grpc(GET_CONVERSATION, undefined, NOT_PROTOBUF);
      await grpc("/made.up.Service/Anything", undefined, new Uint8Array());
      const metrics = await (await fetch(`${test.baseUrl}/metrics`, { headers: authorization(TOKENS.alphaReader) })).text();
      expect(metrics).toMatch(/rpc_requests_total\{service="google.cloud.dialogflow.v2.Conversations",method="GetConversation",code="UNAUTHENTICATED"\} [1-9]/);
      expect(metrics).not.toContain("made.up.Service");
    });

    it("still answers health checks without a token", async () => {
      expect(await grpc("/grpc.health.v1.Health/Check", undefined, new Uint8Array())).toMatchObject({ status: "OK" });
    });
  });

  describe("request ids", () => {
    const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

    it("echoes the caller's x-request-id in a refusal, over REST and Connect", async () => {
      for (const [path, contentType] of [[`/v2/${PARENT}/conversations`, "application/json"], [GET_CONVERSATION, "application/json"]] as const) {
        const response = await fetch(`${test.baseUrl}${path}`, { method: "POST", headers: { "content-type": contentType, "x-request-id": `refused-${path}` }, body: "{}" });
        expect(response.status).toBe(401);
        expect(response.headers.get("x-request-id")).toBe(`refused-${path}`);
      }
    });

    it("logs a REST request refused for its credentials as its RPC, with the code it got", async () => {
      const response = await fetch(`${test.baseUrl}/v2/${PARENT}/conversations/c1`, { headers: { "x-request-id": "refused-rest-get" } });
      expect(response.status).toBe(401);
      await expect
        .poll(() => lines.find((line) => line.msg === "rpc" && line.requestId === "refused-rest-get"))
        .toMatchObject({ method: "GetConversation", protocol: "rest", code: "UNAUTHENTICATED" });
    });

    it("gives a refused gRPC call without one a fresh id, the same in its answer and its log line", async () => {
      const headers = await new Promise<Record<string, unknown>>((resolve, reject) => {
        const session = http2Connect(test.baseUrl);
        session.on("error", reject);
        const stream = session.request({ ":method": "POST", ":path": GET_CONVERSATION, "content-type": "application/grpc", te: "trailers" });
        stream.on("response", (answer) => {
          session.close();
          resolve(answer);
        });
        stream.resume();
        stream.end(encodeEnvelope(0, new Uint8Array()));
      });
      expect(headers["grpc-status"]).toBe(String(Code.Unauthenticated));
      const requestId = headers["x-request-id"];
      expect(requestId).toMatch(UUID);
      await expect.poll(() => lines.find((line) => line.msg === "rpc" && line.requestId === requestId)).toMatchObject({ protocol: "grpc", code: "UNAUTHENTICATED" });
    });
  });

  it("serves the probes and the console's page without a token", async () => {
    expect((await fetch(`${test.baseUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${test.baseUrl}/readyz`)).status).toBe(200);
    expect((await fetch(`${test.baseUrl}/console/`)).status).not.toBe(401);
  });
});

function describeError(error: ConnectError): { status: string; reason: string | undefined } {
  return { status: Code[error.code].replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase(), reason: error.findDetails(ErrorInfoSchema)[0]?.reason };
}

function grpcAnswer(trailer: Headers): { status: string; reason: string | undefined } {
  const error = findTrailerError(trailer);
  return error === undefined ? { status: trailer.get("grpc-status") === "0" ? "OK" : "MISSING", reason: undefined } : describeError(error);
}
