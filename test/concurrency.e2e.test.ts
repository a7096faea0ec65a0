import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { Conversation_LifecycleState as State } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { createHumanProfile, listAll, startConversation } from "./support/fixtures.js";
import { useTestServer } from "./support/test-server.js";

// Many callers at once against one conversation: the database, not luck,
// decides the winner (DESIGN §4.1, §4.5).
describe("concurrent calls", () => {
  const parent = "projects/racers/locations/global";
  const server = useTestServer();

  it("50 parallel completes of one conversation make one transition with one end_time", async () => {
    const { clients } = server;
    const profile = await createHumanProfile(clients, parent);
    const conversation = await startConversation(clients, parent, profile, "complete-race");
    const results = await Promise.all(
      Array.from({ length: 50 }, () => clients.conversations.completeConversation({ name: conversation.name })),
    );
    expect(results.every((result) => result.lifecycleState === State.COMPLETED)).toBe(true);
    const endTimes = new Set(results.map((result) => `${result.endTime?.seconds}.${result.endTime?.nanos}`));
    expect(endTimes.size).toBe(1);
    const stored = await clients.conversations.getConversation({ name: conversation.name });
    expect(`${stored.endTime?.seconds}.${stored.endTime?.nanos}`).toBe([...endTimes][0]);
  });

  it("50 parallel creates with one conversation_id: exactly one succeeds, the rest get ALREADY_EXISTS", async () => {
    const { clients } = server;
    const profile = await createHumanProfile(clients, parent);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, () => startConversation(clients, parent, profile, "create-race")),
    );
    const succeeded = outcomes.filter((outcome) => outcome.status === "fulfilled");
    const codes = outcomes
      .filter((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected")
      .map((outcome) => ConnectError.from(outcome.reason).code);
    expect(succeeded).toHaveLength(1);
    expect(codes).toEqual(Array.from({ length: 49 }, () => Code.AlreadyExists));
    const listed = await listAll(clients, parent);
    expect(listed.filter((c) => c.name.endsWith("/create-race"))).toHaveLength(1);
  });
});

describe("deleting a profile while conversations are being created on it", () => {
  const server = useTestServer();

  it("never leaves a running conversation on a deleted profile", async () => {
    const { clients } = server;
    const parent = "projects/racers/locations/delete-race";
    for (let round = 0; round < 30; round++) {
      const profile = await createHumanProfile(clients, parent);
      const [deleted, created] = await Promise.allSettled([
        clients.profiles.deleteConversationProfile({ name: profile.name }),
        startConversation(clients, parent, profile),
      ]);
      if (deleted.status === "fulfilled") {
        // The delete won: the create must have been refused, not left dangling.
        expect(created.status).toBe("rejected");
        if (created.status === "rejected") expect(ConnectError.from(created.reason).code).toBe(Code.NotFound);
      } else {
        expect(ConnectError.from(deleted.reason).code).toBe(Code.FailedPrecondition);
        expect(created.status).toBe("fulfilled");
      }
    }
  });
});
