import * as grpc from "@grpc/grpc-js";
import { fromBinary, toBinary, create, type DescMessage, type MessageShape, type MessageInitShape } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ConversationSchema,
  CreateConversationRequestSchema,
  GetConversationRequestSchema,
  CompleteConversationRequestSchema,
  ListConversationsRequestSchema,
  ListConversationsResponseSchema,
  Conversation_LifecycleState as State,
} from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { StatusSchema } from "../src/gen/google/rpc/status_pb.js";
import { BadRequestSchema, ErrorInfoSchema, ResourceInfoSchema } from "../src/gen/google/rpc/error_details_pb.js";
import { createAgentProfile } from "./support/fixtures.js";
import { createClients, startTestServer, type TestServer } from "./support/test-server.js";

// A plain @grpc/grpc-js client, as other services would use: no connect-es on
// the client side, errors read from grpc-status-details-bin by hand.

const SERVICE = "/google.cloud.dialogflow.v2.Conversations";

function unary<I extends DescMessage, O extends DescMessage>(
  client: grpc.Client,
  method: string,
  input: I,
  output: O,
  request: MessageInitShape<I>,
): Promise<MessageShape<O>> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      `${SERVICE}/${method}`,
      (message: MessageShape<I>) => Buffer.from(toBinary(input, message)),
      (bytes: Buffer) => fromBinary(output, bytes),
      create(input, request),
      (error, response) => (error ? reject(error) : resolve(response!)),
    );
  });
}

function statusDetails(error: grpc.ServiceError) {
  const [bytes] = error.metadata.get("grpc-status-details-bin");
  expect(bytes).toBeInstanceOf(Buffer);
  return fromBinary(StatusSchema, bytes as Buffer);
}

describe("a plain grpc-js client", () => {
  const parent = "projects/grpc-js/locations/global";
  let test: TestServer;
  let client: grpc.Client;
  let profileName: string;

  beforeAll(async () => {
    test = await startTestServer();
    profileName = (await createAgentProfile(createClients("grpc", test.baseUrl), parent)).name;
    client = new grpc.Client(`127.0.0.1:${test.server.port}`, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    client.close();
    await test.stop();
  });

  it("creates, gets, lists and completes a conversation", async () => {
    const created = await unary(client, "CreateConversation", CreateConversationRequestSchema, ConversationSchema, {
      parent,
      conversationId: "from-grpc-js",
      conversation: { conversationProfile: profileName },
    });
    expect(created.name).toBe(`${parent}/conversations/from-grpc-js`);
    const read = await unary(client, "GetConversation", GetConversationRequestSchema, ConversationSchema, { name: created.name });
    expect(read).toEqual(created);
    const list = await unary(client, "ListConversations", ListConversationsRequestSchema, ListConversationsResponseSchema, { parent });
    expect(list.conversations.map((c) => c.name)).toEqual([created.name]);
    const completed = await unary(client, "CompleteConversation", CompleteConversationRequestSchema, ConversationSchema, {
      name: created.name,
    });
    expect(completed.lifecycleState).toBe(State.COMPLETED);
  });

  it("reads BadRequest and ErrorInfo from grpc-status-details-bin on INVALID_ARGUMENT", async () => {
    const error = (await unary(client, "GetConversation", GetConversationRequestSchema, ConversationSchema, {
      name: "nonsense",
    }).catch((e: unknown) => e)) as grpc.ServiceError;
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.details).toContain("name");
    const status = statusDetails(error);
    expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
    const badRequest = status.details.map((any) => anyUnpack(any, BadRequestSchema)).find((d) => d !== undefined);
    expect(badRequest?.fieldViolations[0]?.field).toBe("name");
    const info = status.details.map((any) => anyUnpack(any, ErrorInfoSchema)).find((d) => d !== undefined);
    expect(info?.domain).toBe("dialogflow.googleapis.com");
  });

  it("reads ResourceInfo from grpc-status-details-bin on NOT_FOUND", async () => {
    const name = `${parent}/conversations/missing`;
    const error = (await unary(client, "GetConversation", GetConversationRequestSchema, ConversationSchema, { name }).catch(
      (e: unknown) => e,
    )) as grpc.ServiceError;
    expect(error.code).toBe(grpc.status.NOT_FOUND);
    // The message arrives as written: grpc-message is escaped only where the gRPC spec asks
    // (bytes outside 0x20-0x7E and %), so the slashes of the name are not %2F.
    expect(error.details).toBe(`${name} was not found`);
    const info = statusDetails(error)
      .details.map((any) => anyUnpack(any, ResourceInfoSchema))
      .find((d) => d !== undefined);
    expect(info?.resourceName).toBe(name);
    expect(info?.resourceType).toBe("dialogflow.googleapis.com/Conversation");
  });

  it("reads a message with spaces, %, and non-ASCII characters exactly as the server wrote it", async () => {
    const name = `${parent}/conversations/caf\u00e9 100%`;
    const error = (await unary(client, "GetConversation", GetConversationRequestSchema, ConversationSchema, { name }).catch(
      (e: unknown) => e,
    )) as grpc.ServiceError;
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.details).toContain("caf\u00e9 100%");
  });

  it("echoes x-request-id in the response headers", async () => {
    const metadata = new grpc.Metadata();
    metadata.set("x-request-id", "grpc-trace-7");
    const echoed = await new Promise<grpc.Metadata>((resolve, reject) => {
      const call = client.makeUnaryRequest(
        `${SERVICE}/ListConversations`,
        (message: MessageShape<typeof ListConversationsRequestSchema>) => Buffer.from(toBinary(ListConversationsRequestSchema, message)),
        (bytes: Buffer) => bytes,
        create(ListConversationsRequestSchema, { parent }),
        metadata,
        (error) => error && reject(error),
      );
      call.on("metadata", resolve);
    });
    expect(echoed.get("x-request-id")).toEqual(["grpc-trace-7"]);
  });

  it("gives a call with an empty x-request-id a fresh one, as every protocol does", async () => {
    const metadata = new grpc.Metadata();
    metadata.set("x-request-id", "");
    const echoed = await new Promise<grpc.Metadata>((resolve, reject) => {
      const call = client.makeUnaryRequest(
        `${SERVICE}/ListConversations`,
        (message: MessageShape<typeof ListConversationsRequestSchema>) => Buffer.from(toBinary(ListConversationsRequestSchema, message)),
        (bytes: Buffer) => bytes,
        create(ListConversationsRequestSchema, { parent }),
        metadata,
        (error) => error && reject(error),
      );
      call.on("metadata", resolve);
    });
    expect(echoed.get("x-request-id")).toEqual([expect.stringMatching(/^[0-9a-f-]{36}$/)]);
  });

  it("gets UNIMPLEMENTED for a method the service does not have", async () => {
    const error = (await new Promise<grpc.ServiceError | null>((resolve) => {
      client.makeUnaryRequest(
        `${SERVICE}/NoSuchMethod`,
        (message: Buffer) => message,
        (bytes: Buffer) => bytes,
        Buffer.alloc(0),
        (e: grpc.ServiceError | null) => resolve(e),
      );
    })) as grpc.ServiceError;
    expect(error.code).toBe(grpc.status.UNIMPLEMENTED);
  });
});
