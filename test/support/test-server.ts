import { createClient, type Client, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { ConversationProfiles } from "../../src/gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import { Conversations } from "../../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { Fulfillments } from "../../src/gen/google/cloud/dialogflow/v2/fulfillment_pb.js";
import { Participants } from "../../src/gen/google/cloud/dialogflow/v2/participant_pb.js";
import { pino } from "pino";
import { afterAll, beforeAll, expect } from "vitest";
import { startServer, type Server, type ServerOptions } from "../../src/server.js";
import { createTestDatabase, type TestDatabase } from "./test-database.js";

export interface TestServer {
  readonly server: Server;
  readonly baseUrl: string;
  readonly testDatabase: TestDatabase;
  /** Errors the server reported as its own bugs; tests assert it stays empty. */
  readonly internalErrors: unknown[];
  stop(): Promise<void>;
}

/** The real server on a free loopback port, over a database of its own. */
export async function startTestServer(overrides: Partial<ServerOptions> = {}): Promise<TestServer> {
  const testDatabase = await createTestDatabase();
  const internalErrors: unknown[] = [];
  const server = await startServer({
    database: testDatabase.database,
    host: "127.0.0.1",
    port: 0,
    conversationTtlSeconds: 86_400,
    purgeAfterSeconds: 30 * 86_400,
    log: pino({ level: "silent" }),
    onInternalError: (error) => internalErrors.push(error),
    ...overrides,
  }).catch(async (error: unknown) => {
    await testDatabase.dispose(); // a server that did not start leaves no database behind
    throw error;
  });
  return {
    server,
    baseUrl: `http://127.0.0.1:${server.port}`,
    testDatabase,
    internalErrors,
    async stop() {
      try {
        await server.close(100);
      } finally {
        await testDatabase.dispose();
      }
    },
  };
}

export type ProtocolName = "grpc" | "grpc-web (http/1.1)" | "connect (http/1.1)" | "connect (http/2)";

export const PROTOCOLS: readonly ProtocolName[] = ["grpc", "grpc-web (http/1.1)", "connect (http/1.1)", "connect (http/2)"];

export function createTransport(protocol: ProtocolName, baseUrl: string): Transport {
  switch (protocol) {
    case "grpc":
      return createGrpcTransport({ baseUrl });
    case "grpc-web (http/1.1)":
      return createGrpcWebTransport({ baseUrl, httpVersion: "1.1" });
    case "connect (http/1.1)":
      return createConnectTransport({ baseUrl, httpVersion: "1.1" });
    case "connect (http/2)":
      return createConnectTransport({ baseUrl, httpVersion: "2" });
  }
}

export interface Clients {
  readonly conversations: Client<typeof Conversations>;
  readonly profiles: Client<typeof ConversationProfiles>;
  readonly fulfillments: Client<typeof Fulfillments>;
  readonly participants: Client<typeof Participants>;
}

export function createClients(protocol: ProtocolName, baseUrl: string): Clients {
  const transport = createTransport(protocol, baseUrl);
  return {
    conversations: createClient(Conversations, transport),
    profiles: createClient(ConversationProfiles, transport),
    fulfillments: createClient(Fulfillments, transport),
    participants: createClient(Participants, transport),
  };
}

/** A server and clients for one describe block: started before its tests, checked and stopped after. */
export function useTestServer(protocol: ProtocolName = "grpc", overrides: Partial<ServerOptions> = {}): { test: TestServer; clients: Clients } {
  const context = {} as { test: TestServer; clients: Clients };
  beforeAll(async () => {
    context.test = await startTestServer(overrides);
    context.clients = createClients(protocol, context.test.baseUrl);
  });
  afterAll(async () => {
    expect(context.test.internalErrors).toEqual([]);
    await context.test.stop();
  });
  return context;
}
