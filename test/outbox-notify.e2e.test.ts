import pg from "pg";
import { describe, expect, it } from "vitest";
import { createHumanProfile } from "./support/fixtures.js";
import { useTestServer } from "./support/test-server.js";

// The relays are woken (LISTEN conversation_events) when a statement wrote
// events, and only then: a call that wrote none must not make every relay
// look for some.
const parent = "projects/outbox-notify/locations/global";
const QUIET_MS = 500;

describe("the outbox's notification", () => {
  const server = useTestServer("grpc");

  async function notificationsDuring(work: () => Promise<unknown>): Promise<number> {
    const listener = new pg.Client({ connectionString: server.test.testDatabase.url });
    await listener.connect();
    try {
      let count = 0;
      listener.on("notification", () => count++);
      await listener.query("LISTEN conversation_events");
      await work();
      await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
      return count;
    } finally {
      await listener.end();
    }
  }

  it("is not sent for a create or complete that wrote no event", async () => {
    const { clients } = server;
    const profile = await createHumanProfile(clients, parent);
    const count = await notificationsDuring(async () => {
      const conversation = await clients.conversations.createConversation({ parent, conversation: { conversationProfile: profile.name } });
      await clients.conversations.completeConversation({ name: conversation.name });
    });
    expect(count).toBe(0);
  });

  it("is sent once per statement that wrote events", async () => {
    const { clients } = server;
    const profile = await clients.profiles.createConversationProfile({
      parent,
      conversationProfile: { displayName: "Notifying", notificationConfig: { topic: "projects/outbox-notify/topics/events" } },
    });
    const count = await notificationsDuring(async () => {
      const conversation = await clients.conversations.createConversation({ parent, conversation: { conversationProfile: profile.name } });
      await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
      await clients.conversations.completeConversation({ name: conversation.name });
    });
    expect(count).toBe(2);
  });
});
