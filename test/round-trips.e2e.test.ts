import { describe, expect, it } from "vitest";
import { createHumanProfile, startConversation } from "./support/fixtures.js";
import { useTestServer } from "./support/test-server.js";

// Each RPC costs exactly one SQL statement: the database's own counter is
// read before and after every call.
describe("SQL round trips", () => {
  const parent = "projects/counted/locations/global";
  const server = useTestServer();

  async function statementsFor(call: () => Promise<unknown>): Promise<number> {
    const { database } = server.test.server;
    const before = database.statementCount;
    await call().catch(() => undefined);
    return database.statementCount - before;
  }

  async function participantCalls(conversation: string): Promise<Record<string, number>> {
    const { clients } = server;
    let participant = "";
    const text = { case: "textInput" as const, value: { text: "Counted", languageCode: "en-US" } };
    return {
      createParticipant: await statementsFor(async () => {
        participant = (await clients.participants.createParticipant({ parent: conversation, participant: { role: 3 } })).name;
      }),
      getParticipant: await statementsFor(() => clients.participants.getParticipant({ name: participant })),
      listParticipants: await statementsFor(() => clients.participants.listParticipants({ parent: conversation })),
      updateParticipant: await statementsFor(() =>
        clients.participants.updateParticipant({ participant: { name: participant, sipRecordingMediaLabel: "l" }, updateMask: { paths: ["sip_recording_media_label"] } }),
      ),
      analyzeContent: await statementsFor(() => clients.participants.analyzeContent({ participant, input: text, requestId: "counted" })),
      analyzeRepeated: await statementsFor(() => clients.participants.analyzeContent({ participant, input: text, requestId: "counted" })),
      analyzeMissingParticipant: await statementsFor(() => clients.participants.analyzeContent({ participant: `${conversation}/participants/nobody`, input: text })),
      listTranscript: await statementsFor(() => clients.conversations.listMessages({ parent: conversation, pageSize: 1 })),
    };
  }

  it("spends one statement on each RPC, whether it succeeds or fails in the database", async () => {
    const { clients } = server;
    let profileName = "";
    expect(await statementsFor(async () => (profileName = (await createHumanProfile(clients, parent)).name))).toBe(1);
    const profile = await clients.profiles.getConversationProfile({ name: profileName });
    let name = "";
    const counts = {
      createConversation: await statementsFor(async () => (name = (await startConversation(clients, parent, profile, "counted")).name)),
      createTaken: await statementsFor(() => startConversation(clients, parent, profile, "counted")),
      createMissingProfile: await statementsFor(() =>
        clients.conversations.createConversation({ parent, conversation: { conversationProfile: `${parent}/conversationProfiles/none` } }),
      ),
      getConversation: await statementsFor(() => clients.conversations.getConversation({ name })),
      listConversations: await statementsFor(() => clients.conversations.listConversations({ parent })),
      listFiltered: await statementsFor(() => clients.conversations.listConversations({ parent, filter: "lifecycle_state = IN_PROGRESS" })),
      ingestContextReferences: await statementsFor(() =>
        clients.conversations.ingestContextReferences({
          conversation: name,
          contextReferences: { crm: { updateMode: 1, contextContents: [{ content: "gold", contentFormat: 2 }] } },
        }),
      ),
      listMessages: await statementsFor(() => clients.conversations.listMessages({ parent: name, filter: "create_time_epoch_microseconds > 1" })),
      ...(await participantCalls(name)),
      getByOtherSpelling: await statementsFor(() => clients.conversations.getConversation({ name: name.replace("/locations/global", "") })),
      completeConversation: await statementsFor(() => clients.conversations.completeConversation({ name })),
      completeAgain: await statementsFor(() => clients.conversations.completeConversation({ name })),
      getProfile: await statementsFor(() => clients.profiles.getConversationProfile({ name: profileName })),
      listProfiles: await statementsFor(() => clients.profiles.listConversationProfiles({ parent })),
      updateProfile: await statementsFor(() =>
        clients.profiles.updateConversationProfile({
          conversationProfile: { name: profileName, displayName: "Counted" },
          updateMask: { paths: ["display_name"] },
        }),
      ),
      deleteProfile: await statementsFor(() => clients.profiles.deleteConversationProfile({ name: profileName })),
    };
    expect(counts).toEqual(Object.fromEntries(Object.keys(counts).map((key) => [key, 1])));
  });

  it("spends no statement on a request that fails validation", async () => {
    const { clients } = server;
    expect(await statementsFor(() => clients.conversations.getConversation({ name: "bad" }))).toBe(0);
    expect(await statementsFor(() => clients.conversations.listConversations({ parent, pageSize: -1 }))).toBe(0);
    expect(await statementsFor(() => clients.conversations.listConversations({ parent, filter: "nope = 1" }))).toBe(0);
    expect(await statementsFor(() => clients.conversations.listMessages({ parent: `${parent}/conversations/abc`, filter: "nope = 1" }))).toBe(0);
    expect(await statementsFor(() => clients.conversations.ingestContextReferences({ conversation: `${parent}/conversations/abc` }))).toBe(0);
    expect(await statementsFor(() => clients.conversations.searchKnowledge({ parent }))).toBe(0);
    const participant = `${parent}/conversations/abc/participants/someone`;
    expect(await statementsFor(() => clients.participants.analyzeContent({ participant, input: { case: "textInput", value: { text: " " } } }))).toBe(0);
    expect(await statementsFor(() => clients.participants.createParticipant({ parent: `${parent}/conversations/abc`, participant: {} }))).toBe(0);
    expect(await statementsFor(() => clients.participants.suggestArticles({ parent: participant }))).toBe(0);
  });
});
