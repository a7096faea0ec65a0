import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type Server } from "../src/server.js";
import type { Database } from "../src/store/database.js";
import { createHumanProfile } from "./support/fixtures.js";
import { createClients, type Clients } from "./support/test-server.js";
import { createTestDatabase, type TestDatabase } from "./support/test-database.js";

// The events relay is woken by its own process's statements that wrote
// events, and only by those: a call that wrote none must not make it look for
// some. Its looks are transactions (store/event-outbox.ts), counted here; its
// poll and upkeep are set beyond the test's time, so every look is a wake.
const parent = "projects/outbox-writes/locations/global";
const QUIET_MS = 500;

describe("the events relay's wake-up", () => {
  let testDatabase: TestDatabase;
  let server: Server;
  let clients: Clients;
  let looks = 0;

  beforeAll(async () => {
    testDatabase = await createTestDatabase();
    const inner = testDatabase.database;
    const counting: Database = {
      kind: inner.kind,
      get statementCount() {
        return inner.statementCount;
      },
      query: (statement, values) => inner.query(statement, values),
      transaction: (work) => {
        looks++;
        return inner.transaction(work);
      },
      close: () => inner.close(),
    };
    server = await startServer({
      database: counting,
      host: "127.0.0.1",
      port: 0,
      conversationTtlSeconds: 86_400,
      purgeAfterSeconds: 30 * 86_400,
      log: pino({ level: "silent" }),
      onInternalError: () => {},
      // Nothing answers there: events stay in the outbox, which is all this needs.
      events: { publish: true, pubsubEmulatorHost: "127.0.0.1:1", outboxMax: 1000, missingTopicSeconds: 600, pollMs: 600_000, upkeepMs: 600_000 },
    });
    clients = createClients("grpc", `http://127.0.0.1:${server.port}`);
  }, 60_000);
  afterAll(async () => {
    await server?.close(100);
    await testDatabase?.dispose();
  });

  async function looksDuring(work: () => Promise<unknown>): Promise<number> {
    // The relay's first look, at its start, is over once a quiet spell passes.
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
    const before = looks;
    await work();
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
    return looks - before;
  }

  it("does not come for a create, a message or a complete that wrote no event", async () => {
    const profile = await createHumanProfile(clients, parent);
    const count = await looksDuring(async () => {
      const conversation = await clients.conversations.createConversation({ parent, conversation: { conversationProfile: profile.name } });
      const participant = await clients.participants.createParticipant({ parent: conversation.name, participant: { role: 3 } });
      await clients.participants.analyzeContent({ participant: participant.name, input: { case: "textInput", value: { text: "Hello", languageCode: "en-US" } } });
      await clients.conversations.completeConversation({ name: conversation.name });
    });
    expect(count).toBe(0);
  });

  it("comes for a create that wrote an event", async () => {
    const profile = await clients.profiles.createConversationProfile({
      parent,
      conversationProfile: { displayName: "Notifying", notificationConfig: { topic: "projects/outbox-writes/topics/events" } },
    });
    const count = await looksDuring(() => clients.conversations.createConversation({ parent, conversation: { conversationProfile: profile.name } }));
    expect(count).toBeGreaterThanOrEqual(1);
  });
});
