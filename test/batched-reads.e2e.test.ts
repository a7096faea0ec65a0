import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { Conversation_LifecycleState } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { createHumanProfile, startConversation } from "./support/fixtures.js";
import { useTestServer } from "./support/test-server.js";

// GetConversation calls that arrive together are answered by one statement
// (src/store/read-batcher.ts); each must still get its own, right answer.
describe("GetConversation calls arriving together", () => {
  const parent = "projects/batched/locations/global";
  const server = useTestServer();

  it("answers each call on its own while sending fewer statements than calls", async () => {
    const { clients } = server;
    const profile = await createHumanProfile(clients, parent);
    const started = await Promise.all(Array.from({ length: 30 }, (_, i) => startConversation(clients, parent, profile, `together-${i}`)));
    const completed = new Set(started.slice(0, 5).map((conversation) => conversation.name));
    await Promise.all([...completed].map((name) => clients.conversations.completeConversation({ name })));

    // Every conversation twice (once in each spelling of the global location) and names that do not exist.
    const asked = [
      ...started.map((conversation) => conversation.name),
      ...started.map((conversation) => conversation.name.replace("/locations/global", "")),
      ...Array.from({ length: 10 }, (_, i) => `${parent}/conversations/missing-${i}`),
    ];
    const { database } = server.test.server;
    const before = database.statementCount;
    const answers = await Promise.all(
      asked.map((name) =>
        clients.conversations.getConversation({ name }).then(
          (conversation) => ({ name, conversation }),
          (error: unknown) => ({ name, error: ConnectError.from(error) }),
        ),
      ),
    );
    const statements = database.statementCount - before;

    expect(statements).toBeGreaterThanOrEqual(1);
    expect(statements).toBeLessThan(asked.length);
    for (const answer of answers) {
      if (answer.name.includes("/missing-")) {
        expect("error" in answer && answer.error.code).toBe(Code.NotFound);
        expect("error" in answer && answer.error.rawMessage).toContain(answer.name);
        continue;
      }
      if (!("conversation" in answer)) throw answer.error;
      expect(answer.conversation.name).toBe(answer.name);
      expect(answer.conversation.conversationProfile).toBe(profile.name);
      const located = answer.name.replace("projects/batched/conversations/", `${parent}/conversations/`);
      expect(answer.conversation.lifecycleState).toBe(
        completed.has(located) ? Conversation_LifecycleState.COMPLETED : Conversation_LifecycleState.IN_PROGRESS,
      );
    }
  });

  it("gives a call with a deadline a statement of its own, so the deadline can cancel it", async () => {
    const { clients } = server;
    const profile = await createHumanProfile(clients, parent);
    const conversation = await startConversation(clients, parent, profile, "with-deadline");
    const { database } = server.test.server;
    const before = database.statementCount;
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => clients.conversations.getConversation({ name: conversation.name }, { timeoutMs: 10_000 })),
    );
    expect(database.statementCount - before).toBe(8);
    expect(answers.map((answer) => answer.name)).toEqual(Array(8).fill(conversation.name));
  });
});
