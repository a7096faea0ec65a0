import { Code, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthorizer } from "../src/auth/authorizer.js";
import { ConversationProfiles, type ConversationProfile } from "../src/gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import { Conversations, type Conversation } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { Participants } from "../src/gen/google/cloud/dialogflow/v2/participant_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "../src/gen/health/v1/health_pb.js";
import { ErrorInfoSchema } from "../src/gen/google/rpc/error_details_pb.js";
import { TOKENS, writeTokensFile } from "./support/auth-tokens.js";
import { failureOf } from "./support/errors.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

// Every protocol x (no token, unknown token, another project, a reader writing, an editor).
// Tokens travel as `authorization: Bearer <token>`, in gRPC metadata or an HTTP header.

type Protocol = "grpc" | "grpc-web" | "connect (http/1.1)" | "connect (http/2)";
const RPC_PROTOCOLS: readonly Protocol[] = ["grpc", "grpc-web", "connect (http/1.1)", "connect (http/2)"];

function transportFor(protocol: Protocol, baseUrl: string, token: string | undefined): Transport {
  const withToken: Interceptor = (next) => (request) => {
    if (token !== undefined) request.header.set("authorization", `Bearer ${token}`);
    return next(request);
  };
  const interceptors = [withToken];
  switch (protocol) {
    case "grpc":
      return createGrpcTransport({ baseUrl, interceptors });
    case "grpc-web":
      return createGrpcWebTransport({ baseUrl, httpVersion: "1.1", interceptors });
    case "connect (http/1.1)":
      return createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors });
    case "connect (http/2)":
      return createConnectTransport({ baseUrl, httpVersion: "2", interceptors });
  }
}

function clientsFor(protocol: Protocol, baseUrl: string, token: string | undefined) {
  const transport = transportFor(protocol, baseUrl, token);
  return {
    conversations: createClient(Conversations, transport),
    profiles: createClient(ConversationProfiles, transport),
    participants: createClient(Participants, transport),
    health: createClient(Health, transport),
  };
}

const ALPHA = "projects/alpha/locations/global";
const BETA = "projects/beta/locations/global";

describe("auth with a tokens file", () => {
  let test: TestServer;
  let tokens: Awaited<ReturnType<typeof writeTokensFile>>;
  const logLines: string[] = [];
  const fixtures = {} as { alphaProfile: ConversationProfile; alphaConversation: Conversation; betaConversation: Conversation };

  beforeAll(async () => {
    tokens = await writeTokensFile();
    const log = pino(
      { level: "info" },
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          logLines.push(chunk.toString());
          callback();
        },
      }),
    );
    test = await startTestServer({ authorizer: await createAuthorizer({ tokensFile: tokens.file }), log });
    const root = clientsFor("grpc", test.baseUrl, TOKENS.root);
    fixtures.alphaProfile = await root.profiles.createConversationProfile({ parent: ALPHA, conversationProfile: { displayName: "Alpha" } });
    const betaProfile = await root.profiles.createConversationProfile({ parent: BETA, conversationProfile: { displayName: "Beta" } });
    fixtures.alphaConversation = await root.conversations.createConversation({ parent: ALPHA, conversation: { conversationProfile: fixtures.alphaProfile.name } });
    fixtures.betaConversation = await root.conversations.createConversation({ parent: BETA, conversation: { conversationProfile: betaProfile.name } });
  });
  afterAll(async () => {
    expect(test.internalErrors).toEqual([]);
    await test.stop();
    await tokens.dispose();
  });

  /** The call's failure, after checking it cost no SQL statement. */
  async function refusal(call: () => Promise<unknown>) {
    const before = test.server.database.statementCount;
    const error = await failureOf(call());
    expect(test.server.database.statementCount - before).toBe(0);
    return { code: Code[error.code], reason: error.findDetails(ErrorInfoSchema)[0]?.reason, message: error.rawMessage };
  }

  describe.each(RPC_PROTOCOLS)("over %s", (protocol) => {
    const clients = (token: string | undefined) => clientsFor(protocol, test.baseUrl, token);

    it("answers UNAUTHENTICATED without a token, before looking at the request", async () => {
      const anonymous = clients(undefined);
      expect(await refusal(() => anonymous.conversations.getConversation({ name: fixtures.alphaConversation.name }))).toMatchObject({ code: "Unauthenticated", reason: "CREDENTIALS_MISSING" });
      expect(await refusal(() => anonymous.conversations.getConversation({ name: "not a name" }))).toMatchObject({ code: "Unauthenticated" });
      expect(await refusal(() => anonymous.conversations.createConversation({ parent: ALPHA, conversation: { conversationProfile: fixtures.alphaProfile.name } }))).toMatchObject({ code: "Unauthenticated" });
    });

    it("answers UNAUTHENTICATED for an unknown token", async () => {
      const stranger = clients("not-a-token-we-issued");
      expect(await refusal(() => stranger.conversations.listConversations({ parent: ALPHA }))).toMatchObject({ code: "Unauthenticated", reason: "ACCESS_TOKEN_INVALID" });
      expect(await refusal(() => stranger.profiles.getConversationProfile({ name: "bad" }))).toMatchObject({ code: "Unauthenticated" });
    });

    it("answers PERMISSION_DENIED for another project's resources", async () => {
      const editor = clients(TOKENS.alphaEditor);
      expect(await refusal(() => editor.conversations.getConversation({ name: fixtures.betaConversation.name }))).toMatchObject({ code: "PermissionDenied", reason: "PROJECT_NOT_ALLOWED" });
      expect(await refusal(() => editor.conversations.listConversations({ parent: "projects/beta" }))).toMatchObject({ code: "PermissionDenied" });
      expect(await refusal(() => editor.conversations.completeConversation({ name: fixtures.betaConversation.name }))).toMatchObject({ code: "PermissionDenied" });
      expect(await refusal(() => editor.profiles.updateConversationProfile({ conversationProfile: { name: `${BETA}/conversationProfiles/x1y2z3`, displayName: "Taken" }, updateMask: { paths: ["display_name"] } }))).toMatchObject({ code: "PermissionDenied" });
      const root = clients(TOKENS.root);
      expect((await root.conversations.getConversation({ name: fixtures.betaConversation.name })).lifecycleState).toBe(fixtures.betaConversation.lifecycleState);
    });

    it("answers PERMISSION_DENIED when a reader writes, and changes nothing", async () => {
      const reader = clients(TOKENS.alphaReader);
      expect(await refusal(() => reader.conversations.createConversation({ parent: ALPHA, conversation: { conversationProfile: fixtures.alphaProfile.name } }))).toMatchObject({ code: "PermissionDenied", reason: "ROLE_CANNOT_WRITE" });
      expect(await refusal(() => reader.conversations.completeConversation({ name: fixtures.alphaConversation.name }))).toMatchObject({ code: "PermissionDenied", reason: "ROLE_CANNOT_WRITE" });
      expect(await refusal(() => reader.profiles.deleteConversationProfile({ name: fixtures.alphaProfile.name }))).toMatchObject({ code: "PermissionDenied" });
      const read = await reader.conversations.getConversation({ name: fixtures.alphaConversation.name });
      expect(read.endTime).toBeUndefined();
      expect((await reader.conversations.listConversations({ parent: ALPHA })).conversations.map((each) => each.name)).toContain(fixtures.alphaConversation.name);
      expect((await reader.profiles.getConversationProfile({ name: fixtures.alphaProfile.name })).displayName).toBe("Alpha");
    });

    it("lets an editor do everything in its project", async () => {
      const editor = clients(TOKENS.alphaEditor);
      const created = await editor.conversations.createConversation({ parent: ALPHA, conversation: { conversationProfile: fixtures.alphaProfile.name } });
      expect((await editor.conversations.getConversation({ name: created.name })).name).toBe(created.name);
      const completed = await editor.conversations.completeConversation({ name: created.name });
      expect(completed.endTime).toBeDefined();
      const profile = await editor.profiles.createConversationProfile({ parent: "projects/alpha", conversationProfile: { displayName: "Short-lived" } });
      await editor.profiles.deleteConversationProfile({ name: profile.name });
    });

    it("lets a reader call ListMessages, and keeps IngestContextReferences for editors of the project", async () => {
      const reader = clients(TOKENS.alphaReader);
      await reader.conversations.listMessages({ parent: fixtures.alphaConversation.name });
      expect(await refusal(() => reader.conversations.listMessages({ parent: fixtures.betaConversation.name }))).toMatchObject({ code: "PermissionDenied", reason: "PROJECT_NOT_ALLOWED" });
      expect(await refusal(() => reader.conversations.ingestContextReferences({ conversation: fixtures.alphaConversation.name }))).toMatchObject({ code: "PermissionDenied", reason: "ROLE_CANNOT_WRITE" });
      const editor = clients(TOKENS.alphaEditor);
      expect(await refusal(() => editor.conversations.ingestContextReferences({ conversation: fixtures.betaConversation.name }))).toMatchObject({ code: "PermissionDenied", reason: "PROJECT_NOT_ALLOWED" });
      expect(await refusal(() => clients(undefined).conversations.listMessages({ parent: fixtures.alphaConversation.name }))).toMatchObject({ code: "Unauthenticated" });
    });

    it("lets readers get and list participants, and keeps creating, updating and analyzing for editors of the project", async () => {
      const editor = clients(TOKENS.alphaEditor);
      const reader = clients(TOKENS.alphaReader);
      const conversation = await editor.conversations.createConversation({ parent: ALPHA, conversation: { conversationProfile: fixtures.alphaProfile.name } });
      const caller = await editor.participants.createParticipant({ parent: conversation.name, participant: { role: 3 } });
      const turn = { participant: caller.name, input: { case: "textInput" as const, value: { text: "Hello" } } };
      await editor.participants.analyzeContent(turn);
      expect((await reader.participants.getParticipant({ name: caller.name })).name).toBe(caller.name);
      expect((await reader.participants.listParticipants({ parent: conversation.name })).participants).toHaveLength(1);
      expect((await reader.conversations.listMessages({ parent: conversation.name })).messages).toHaveLength(1);
      const writes = [
        () => reader.participants.createParticipant({ parent: conversation.name, participant: { role: 1 } }),
        () => reader.participants.updateParticipant({ participant: { name: caller.name }, updateMask: { paths: ["sip_recording_media_label"] } }),
        () => reader.participants.analyzeContent(turn),
      ];
      for (const write of writes) expect(await refusal(write)).toMatchObject({ code: "PermissionDenied", reason: "ROLE_CANNOT_WRITE" });
      const beta = fixtures.betaConversation.name;
      expect(await refusal(() => editor.participants.createParticipant({ parent: beta, participant: { role: 3 } }))).toMatchObject({ code: "PermissionDenied", reason: "PROJECT_NOT_ALLOWED" });
      expect((await reader.conversations.listMessages({ parent: conversation.name })).messages).toHaveLength(1);
    });

    it("leaves a malformed name to the handler's INVALID_ARGUMENT once the token is valid", async () => {
      const error = await failureOf(clients(TOKENS.alphaReader).conversations.getConversation({ name: "not a name" }));
      expect(Code[error.code]).toBe("InvalidArgument");
    });

    it("answers health checks without a token", async () => {
      const response = await clients(undefined).health.check({ service: "" });
      expect(response.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    });
  });

  describe("StreamingAnalyzeContent over gRPC", () => {
    // It has no google.api.http rule: its resource is the participant field, a google.api.resource_reference.
    async function* streamedTurn(participant: string) {
      yield { participant, config: { case: "textConfig" as const, value: {} } };
      yield { input: { case: "inputText" as const, value: "Hello" } };
    }
    const stream = async (token: string, participant: string) => {
      const responses = [];
      for await (const response of clientsFor("grpc", test.baseUrl, token).participants.streamingAnalyzeContent(streamedTurn(participant))) responses.push(response);
      return responses;
    };

    it("lets an editor of the participant's project stream a turn, and refuses one for another project", async () => {
      const root = clientsFor("grpc", test.baseUrl, TOKENS.root);
      const alphaCaller = await root.participants.createParticipant({ parent: fixtures.alphaConversation.name, participant: { role: 3 } });
      const betaCaller = await root.participants.createParticipant({ parent: fixtures.betaConversation.name, participant: { role: 3 } });
      const answered = await stream(TOKENS.alphaEditor, alphaCaller.name);
      expect(answered.map((response) => response.message?.content)).toEqual(["Hello"]);
      expect(await refusal(() => stream(TOKENS.alphaEditor, betaCaller.name))).toMatchObject({ code: "PermissionDenied", reason: "PROJECT_NOT_ALLOWED" });
      expect(await refusal(() => stream(TOKENS.alphaReader, alphaCaller.name))).toMatchObject({ code: "PermissionDenied", reason: "ROLE_CANNOT_WRITE" });
    });
  });

  describe("over REST", () => {
    async function rest(method: string, path: string, token: string | undefined, body?: unknown) {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      const before = test.server.database.statementCount;
      const response = await fetch(`${test.baseUrl}/v2/${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const json = (await response.json()) as { error?: { status: string; details: { reason?: string }[] }; name?: string };
      return { status: response.status, error: json.error?.status, reason: json.error?.details.find((each) => each.reason !== undefined)?.reason, statements: test.server.database.statementCount - before, json };
    }

    it("answers 401 without a token or with an unknown one", async () => {
      expect(await rest("GET", fixtures.alphaConversation.name, undefined)).toMatchObject({ status: 401, error: "UNAUTHENTICATED", reason: "CREDENTIALS_MISSING", statements: 0 });
      expect(await rest("GET", `${ALPHA}/conversations`, "nope")).toMatchObject({ status: 401, error: "UNAUTHENTICATED", reason: "ACCESS_TOKEN_INVALID", statements: 0 });
    });

    it("answers 403 for another project and for a reader writing", async () => {
      expect(await rest("GET", fixtures.betaConversation.name, TOKENS.alphaEditor)).toMatchObject({ status: 403, error: "PERMISSION_DENIED", reason: "PROJECT_NOT_ALLOWED", statements: 0 });
      expect(await rest("POST", `${ALPHA}/conversations`, TOKENS.alphaReader, { conversationProfile: fixtures.alphaProfile.name })).toMatchObject({ status: 403, error: "PERMISSION_DENIED", reason: "ROLE_CANNOT_WRITE", statements: 0 });
      expect(await rest("PATCH", `${fixtures.alphaProfile.name}?updateMask=displayName`, TOKENS.alphaReader, { displayName: "No" })).toMatchObject({ status: 403, statements: 0 });
    });

    it("serves a reader's reads and an editor's writes", async () => {
      expect(await rest("GET", fixtures.alphaConversation.name, TOKENS.alphaReader)).toMatchObject({ status: 200, json: { name: fixtures.alphaConversation.name } });
      const created = await rest("POST", `${ALPHA}/conversations`, TOKENS.alphaEditor, { conversationProfile: fixtures.alphaProfile.name });
      expect(created.status).toBe(200);
      expect(await rest("POST", `${created.json.name}:complete`, TOKENS.alphaEditor, {})).toMatchObject({ status: 200 });
    });
  });

  describe("operations", () => {
    it("serves /healthz and /readyz without a token, and /metrics only with one", async () => {
      expect((await fetch(`${test.baseUrl}/healthz`)).status).toBe(200);
      expect((await fetch(`${test.baseUrl}/readyz`)).status).toBe(200);
      const refused = await fetch(`${test.baseUrl}/metrics`);
      expect(refused.status).toBe(401);
      expect(refused.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect((await fetch(`${test.baseUrl}/metrics`, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
      const metrics = await fetch(`${test.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TOKENS.alphaReader}` } });
      expect(metrics.status).toBe(200);
      const text = await metrics.text();
      expect(text).toMatch(/auth_denials_total\{code="UNAUTHENTICATED",reason="CREDENTIALS_MISSING"\} [1-9]/);
      expect(text).toMatch(/auth_denials_total\{code="PERMISSION_DENIED",reason="ROLE_CANNOT_WRITE"\} [1-9]/);
      expect(text).toMatch(/auth_denials_total\{code="PERMISSION_DENIED",reason="PROJECT_NOT_ALLOWED"\} [1-9]/);
      // One spelling: every code a denial is counted under is one rpc_requests_total counts the same calls under.
      const codesOf = (metric: string) => new Set([...text.matchAll(new RegExp(`^${metric}\\{[^}]*code="([^"]+)"`, "gm"))].map((match) => match[1]));
      expect([...codesOf("auth_denials_total")].sort()).toEqual(["PERMISSION_DENIED", "UNAUTHENTICATED"]);
      expect([...codesOf("rpc_requests_total")]).toEqual(expect.arrayContaining([...codesOf("auth_denials_total")]));
    });

    it("logs every denial with the token's name, never the token", async () => {
      const refused = logLines.filter((line) => line.includes('"call refused"')).map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(refused.some((line) => line.principal === "alphaReader" && line.reason === "ROLE_CANNOT_WRITE" && line.method === "CreateConversation")).toBe(true);
      expect(refused.some((line) => line.principal === "alphaEditor" && line.reason === "PROJECT_NOT_ALLOWED" && line.project === "beta")).toBe(true);
      expect(refused.some((line) => line.principal === null && line.reason === "CREDENTIALS_MISSING")).toBe(true);
      // The codes as the "rpc" line of the same call spells them.
      const rpcs = logLines.filter((line) => line.includes('"msg":"rpc"')).map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(new Set(refused.map((line) => line.code))).toEqual(new Set(["UNAUTHENTICATED", "PERMISSION_DENIED"]));
      expect(rpcs.map((line) => line.code)).toEqual(expect.arrayContaining(["UNAUTHENTICATED", "PERMISSION_DENIED"]));
      const everything = logLines.join("");
      for (const token of [...Object.values(TOKENS), "not-a-token-we-issued"]) expect(everything).not.toContain(token);
    });
  });
});

describe("auth with /metrics public", () => {
  it("serves /metrics without a token while RPCs still need one", async () => {
    const tokens = await writeTokensFile();
    const test = await startTestServer({ authorizer: await createAuthorizer({ tokensFile: tokens.file }), publicMetrics: true });
    try {
      expect((await fetch(`${test.baseUrl}/metrics`)).status).toBe(200);
      const error = await failureOf(clientsFor("connect (http/1.1)", test.baseUrl, undefined).conversations.listConversations({ parent: ALPHA }));
      expect(Code[error.code]).toBe("Unauthenticated");
    } finally {
      await test.stop();
      await tokens.dispose();
    }
  });
});
