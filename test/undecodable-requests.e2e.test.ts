import { connect as connectHttp2, type ClientHttp2Session, type IncomingHttpHeaders } from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { errorFromJsonBytes } from "@connectrpc/connect/protocol-connect";
import { findTrailerError } from "@connectrpc/connect/protocol-grpc";
import { trailerParse } from "@connectrpc/connect/protocol-grpc-web";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorInfoSchema } from "../src/gen/google/rpc/error_details_pb.js";
import { captureLog } from "./support/captured-log.js";
import { failureOf } from "./support/errors.js";
import { createHumanProfile } from "./support/fixtures.js";
import { createClients, startTestServer, type Clients, type TestServer } from "./support/test-server.js";

// A body that is not the method's request message is the caller's mistake in
// every protocol: INVALID_ARGUMENT naming the message, with an ErrorInfo, and
// nothing stored.

const CREATE = "/google.cloud.dialogflow.v2.Conversations/CreateConversation";
const REQUEST_TYPE = "google.cloud.dialogflow.v2.CreateConversationRequest";
const PARENT = "projects/undecodable/locations/global";
// Field 1 (parent) announces 16 bytes and carries one: no protobuf decoder can read it.
const TRUNCATED = Uint8Array.of(0x0a, 0x10, 0x61);

interface LogLine {
  msg: string;
  method?: string;
  protocol?: string;
  code?: string;
}

function frame(message: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

function expectUndecodable(error: ConnectError | undefined, encoding: "binary" | "json"): void {
  expect(error && Code[error.code]).toBe(Code[Code.InvalidArgument]);
  expect(error?.rawMessage).toContain(`The request is not a valid ${REQUEST_TYPE}`);
  expect(error?.findDetails(ErrorInfoSchema)).toEqual([
    expect.objectContaining({
      reason: "REQUEST_NOT_DECODABLE",
      domain: "dialogflow.googleapis.com",
      metadata: { message: REQUEST_TYPE, encoding },
    }),
  ]);
}

describe("requests whose body cannot be decoded", () => {
  let test: TestServer;
  let clients: Clients;
  let session: ClientHttp2Session;
  let profile: string;
  const { log, lines } = captureLog<LogLine>();

  beforeAll(async () => {
    test = await startTestServer({ log });
    clients = createClients("connect (http/1.1)", test.baseUrl);
    profile = (await createHumanProfile(clients, PARENT)).name;
    session = connectHttp2(test.baseUrl);
  });
  afterAll(async () => {
    session.close();
    // Undecodable bodies are the caller's mistake, never reported as the service's bugs.
    expect(test.internalErrors).toEqual([]);
    await test.stop();
  });

  const overConnect = async (body: string | Uint8Array, contentType: string) => {
    const response = await fetch(`${test.baseUrl}${CREATE}`, {
      method: "POST",
      headers: { "content-type": contentType },
      body: typeof body === "string" ? body : Buffer.from(body),
    });
    const bytes = new Uint8Array(await response.arrayBuffer());
    return { status: response.status, error: errorFromJsonBytes(bytes, undefined, new ConnectError("not a Connect error", Code.Unknown)) };
  };

  /** One HTTP/2 call; its status from the trailers (or headers, for a trailers-only answer). */
  const overHttp2 = (contentType: string, body: Uint8Array): Promise<ConnectError | undefined> =>
    new Promise((resolve, reject) => {
      const stream = session.request({ ":method": "POST", ":path": CREATE, "content-type": contentType, te: "trailers" });
      let status: IncomingHttpHeaders | undefined;
      stream.on("response", (headers) => {
        if (headers["grpc-status"] !== undefined) status = headers;
      });
      stream.on("trailers", (trailers) => (status = trailers));
      stream.on("close", () => resolve(status === undefined ? undefined : findTrailerError(toHeaders(status))));
      stream.on("error", reject);
      stream.resume();
      stream.end(frame(body));
    });

  it("answers a Connect protobuf body it cannot decode with INVALID_ARGUMENT and ErrorInfo", async () => {
    const { status, error } = await overConnect(TRUNCATED, "application/proto");
    expect(status).toBe(400);
    expectUndecodable(error, "binary");
  });

  it("answers malformed Connect JSON with INVALID_ARGUMENT and ErrorInfo", async () => {
    const { status, error } = await overConnect("{not json", "application/json");
    expect(status).toBe(400);
    expectUndecodable(error, "json");
  });

  it("names the field when Connect JSON does not fit the message, and creates nothing", async () => {
    const body = JSON.stringify({ parent: PARENT, conversationId: "never-made", conversation: { conversationProfile: [profile] } });
    const { status, error } = await overConnect(body, "application/json");
    expect(status).toBe(400);
    expectUndecodable(error, "json");
    expect(error.rawMessage).toContain("conversation_profile");
    expect(Code[(await failureOf(clients.conversations.getConversation({ name: `${PARENT}/conversations/never-made` }))).code]).toBe("NotFound");
  });

  it("answers a gRPC-Web message it cannot decode with grpc-status 3 and ErrorInfo", async () => {
    const response = await fetch(`${test.baseUrl}${CREATE}`, {
      method: "POST",
      headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
      body: new Uint8Array(frame(TRUNCATED)),
    });
    expect(response.status).toBe(200);
    const body = new Uint8Array(await response.arrayBuffer());
    expect(body[0]).toBe(0x80);
    const trailer = trailerParse(body.subarray(5));
    expect(trailer.get("grpc-status")).toBe("3");
    expectUndecodable(findTrailerError(trailer), "binary");
  });

  it("answers gRPC JSON it cannot decode (served by connect-node) with grpc-status 3 and ErrorInfo", async () => {
    expectUndecodable(await overHttp2("application/grpc+json", new TextEncoder().encode("{not json")), "json");
  });

  it("answers gRPC protobuf it cannot decode (served by grpc-js) the same way", async () => {
    expectUndecodable(await overHttp2("application/grpc", TRUNCATED), "binary");
  });

  it("logs the refused calls with the code the caller got", async () => {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const refused = lines.filter((line) => line.msg === "rpc" && line.method === "CreateConversation");
    expect(refused.length).toBeGreaterThanOrEqual(6);
    expect(new Set(refused.map((line) => line.code))).toEqual(new Set(["INVALID_ARGUMENT"]));
    expect(new Set(refused.map((line) => line.protocol))).toEqual(new Set(["connect", "grpc-web", "grpc"]));
  });

  it("stored nothing, and still serves well-formed calls and their own errors", async () => {
    const listed = await clients.conversations.listConversations({ parent: PARENT });
    expect(listed.conversations).toEqual([]);
    const refused = await failureOf(clients.conversations.createConversation({ parent: "projects/UPPER", conversation: { conversationProfile: profile } }));
    expect(refused.findDetails(ErrorInfoSchema)[0]?.reason).not.toBe("REQUEST_NOT_DECODABLE");
    const created = await clients.conversations.createConversation({ parent: PARENT, conversation: { conversationProfile: profile } });
    expect(created.name.startsWith(`${PARENT}/conversations/`)).toBe(true);
  });
});

function toHeaders(incoming: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [key, value] of Object.entries(incoming)) {
    if (typeof value === "string" && !key.startsWith(":")) headers.set(key, value);
  }
  return headers;
}
