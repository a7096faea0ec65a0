import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../src/gen/health/v1/health_pb.js";
import { ServerReflection as ReflectionV1 } from "../src/gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1Alpha } from "../src/gen/grpc/reflection/v1alpha/reflection_pb.js";
import { failureOf } from "./support/errors.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

const run = promisify(execFile);

describe("server reflection and health", () => {
  let test: TestServer;
  let transport: ReturnType<typeof createGrpcTransport>;

  beforeAll(async () => {
    test = await startTestServer();
    transport = createGrpcTransport({ baseUrl: test.baseUrl });
  });
  afterAll(async () => {
    await test.stop();
  });

  it("lets buf curl list every method with no proto files", async () => {
    const { stdout } = await run("node_modules/.bin/buf", ["curl", "--protocol", "grpc", "--http2-prior-knowledge", "--list-methods", test.baseUrl]);
    const methods = stdout.trim().split("\n");
    expect(methods).toEqual(
      expect.arrayContaining([
        "google.cloud.dialogflow.v2.Conversations/CreateConversation",
        "google.cloud.dialogflow.v2.Conversations/GetConversation",
        "google.cloud.dialogflow.v2.Conversations/ListConversations",
        "google.cloud.dialogflow.v2.Conversations/CompleteConversation",
        "google.cloud.dialogflow.v2.Conversations/IngestContextReferences",
        "google.cloud.dialogflow.v2.Conversations/ListMessages",
        "google.cloud.dialogflow.v2.Conversations/SearchKnowledge",
        "google.cloud.dialogflow.v2.ConversationProfiles/UpdateConversationProfile",
        "google.cloud.dialogflow.v2.ConversationProfiles/SetSuggestionFeatureConfig",
        "grpc.health.v1.Health/Check",
      ]),
    );
  });

  it("lets buf curl call a method described only by reflection", async () => {
    const { stdout } = await run("node_modules/.bin/buf", [
      "curl",
      "--protocol",
      "grpc",
      "--http2-prior-knowledge",
      "-d",
      '{"parent":"projects/reflected","conversationProfile":{"displayName":"Via reflection"}}',
      `${test.baseUrl}/google.cloud.dialogflow.v2.ConversationProfiles/CreateConversationProfile`,
    ]);
    expect(JSON.parse(stdout)).toMatchObject({ displayName: "Via reflection", name: expect.stringMatching(/^projects\/reflected\//) });
  });

  it("answers v1 file_containing_symbol with the file and its imports", async () => {
    const client = createClient(ReflectionV1, transport);
    const requests = (async function* () {
      yield { messageRequest: { case: "fileContainingSymbol" as const, value: "google.cloud.dialogflow.v2.Conversations.GetConversation" } };
      yield { messageRequest: { case: "fileContainingSymbol" as const, value: "no.such.Symbol" } };
    })();
    const answers = [];
    for await (const response of client.serverReflectionInfo(requests)) answers.push(response.messageResponse);
    expect(answers[0]?.case).toBe("fileDescriptorResponse");
    const files = answers[0]?.case === "fileDescriptorResponse" ? answers[0].value.fileDescriptorProto : [];
    const names = files.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name);
    expect(names[0]).toBe("google/cloud/dialogflow/v2/conversation.proto");
    expect(names).toEqual(expect.arrayContaining(["google/api/annotations.proto", "google/protobuf/timestamp.proto"]));
    expect(answers[1]).toMatchObject({ case: "errorResponse", value: { errorCode: 5 } });
  });

  it("answers v1alpha list_services", async () => {
    const client = createClient(ReflectionV1Alpha, transport);
    const requests = (async function* () {
      yield { messageRequest: { case: "listServices" as const, value: "" } };
    })();
    for await (const response of client.serverReflectionInfo(requests)) {
      expect(response.messageResponse.case).toBe("listServicesResponse");
      const names = response.messageResponse.case === "listServicesResponse" ? response.messageResponse.value.service.map((s) => s.name) : [];
      // Every service served, and only those.
      expect([...names].sort()).toEqual([
        "google.cloud.dialogflow.v2.ConversationProfiles",
        "google.cloud.dialogflow.v2.Conversations",
        "google.cloud.dialogflow.v2.Fulfillments",
        "google.cloud.dialogflow.v2.Participants",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
      ]);
    }
  });

  it("reports SERVING for the server and each service, and NOT_FOUND for an unknown one", async () => {
    const client = createClient(Health, transport);
    expect((await client.check({ service: "" })).status).toBe(Status.SERVING);
    expect((await client.check({ service: "google.cloud.dialogflow.v2.Conversations" })).status).toBe(Status.SERVING);
    expect((await failureOf(client.check({ service: "nope.Service" }))).code).toBe(5);
    const { statuses } = await client.list({});
    expect(statuses["google.cloud.dialogflow.v2.ConversationProfiles"]?.status).toBe(Status.SERVING);
  });

  it("streams the status on Watch", async () => {
    const client = createClient(Health, transport);
    const seen: Status[] = [];
    // Leaving the loop cancels the stream, as a client that has seen enough does.
    for await (const response of client.watch({ service: "" })) {
      seen.push(response.status);
      break;
    }
    expect(seen).toEqual([Status.SERVING]);
  });
});
