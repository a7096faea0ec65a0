import dialogflow from "@google-cloud/dialogflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./support/test-server.js";
import {
  EXPECTED_CODES,
  GOOGLE_CLIENT_MODES,
  detailsOf,
  googleFailureOf as failureOf,
  type GoogleClientMode,
} from "./support/google-client.js";

describe.each(Object.keys(GOOGLE_CLIENT_MODES) as GoogleClientMode[])("@google-cloud/dialogflow over %s", (mode) => {
  const parent = "projects/google-client/locations/global";
  let test: TestServer;
  let conversations: InstanceType<typeof dialogflow.v2.ConversationsClient>;
  let profiles: InstanceType<typeof dialogflow.v2.ConversationProfilesClient>;
  let profileName: string;

  beforeAll(async () => {
    test = await startTestServer();
    const options = GOOGLE_CLIENT_MODES[mode](test.server.port);
    conversations = new dialogflow.v2.ConversationsClient(options);
    profiles = new dialogflow.v2.ConversationProfilesClient(options);
    const [profile] = await profiles.createConversationProfile({
      parent,
      conversationProfile: { displayName: "From Google's client", automatedAgentConfig: { agent: "projects/google-client/agent" } },
    });
    profileName = profile.name ?? "";
  });
  afterAll(async () => {
    await conversations.close();
    await profiles.close();
    expect(test.internalErrors).toEqual([]);
    await test.stop();
  });

  it("creates a profile and reads it back", async () => {
    expect(profileName).toMatch(/^projects\/google-client\/locations\/global\/conversationProfiles\//);
    const [read] = await profiles.getConversationProfile({ name: profileName });
    expect(read.displayName).toBe("From Google's client");
    expect(read.automatedAgentConfig?.agent).toBe("projects/google-client/agent");
  });

  it("creates, gets and completes a conversation", async () => {
    const [created] = await conversations.createConversation({
      parent,
      conversationId: "google-1",
      conversation: { conversationProfile: profileName },
    });
    expect(created.name).toBe(`${parent}/conversations/google-1`);
    expect(String(created.lifecycleState)).toMatch(/^(IN_PROGRESS|1)$/);
    expect(String(created.conversationStage)).toMatch(/^(VIRTUAL_AGENT_STAGE|1)$/);
    const [read] = await conversations.getConversation({ name: created.name });
    expect(read.name).toBe(created.name);
    expect(read.startTime?.seconds?.toString()).toBe(created.startTime?.seconds?.toString());
    const [completed] = await conversations.completeConversation({ name: created.name });
    expect(String(completed.lifecycleState)).toMatch(/^(COMPLETED|2)$/);
    expect(completed.endTime).toBeTruthy();
  });

  it("lists across several pages with the client's own paging", async () => {
    const listParent = "projects/google-client/locations/paging";
    const [profile] = await profiles.createConversationProfile({ parent: listParent, conversationProfile: { displayName: "Paging" } });
    const names: string[] = [];
    for (let i = 0; i < 7; i++) {
      const [conversation] = await conversations.createConversation({
        parent: listParent,
        conversation: { conversationProfile: profile.name },
      });
      names.push(conversation.name ?? "");
    }
    const seen: string[] = [];
    for await (const conversation of conversations.listConversationsAsync({ parent: listParent, pageSize: 3 })) {
      seen.push(conversation.name ?? "");
    }
    expect(seen).toEqual([...names].reverse());
    const [firstPage, nextRequest] = await conversations.listConversations({ parent: listParent, pageSize: 3 }, { autoPaginate: false });
    expect(firstPage).toHaveLength(3);
    expect(nextRequest?.pageToken).toBeTruthy();
    const [filtered] = await conversations.listConversations({ parent: listParent, filter: "lifecycle_state = COMPLETED" });
    expect(filtered).toEqual([]);
  });

  it("reads ResourceInfo from a NOT_FOUND", async () => {
    const name = `${parent}/conversations/absent`;
    const error = await failureOf(conversations.getConversation({ name }));
    expect(error.code).toBe(EXPECTED_CODES[mode].notFound);
    expect(detailsOf(error)).toContainEqual(
      expect.objectContaining({ resourceName: name, resourceType: "dialogflow.googleapis.com/Conversation" }),
    );
  });

  it("reads BadRequest field violations from an INVALID_ARGUMENT", async () => {
    const error = await failureOf(conversations.createConversation({ parent, conversationId: "x", conversation: { conversationProfile: profileName } }));
    expect(error.code).toBe(EXPECTED_CODES[mode].invalidArgument);
    expect(detailsOf(error)).toContainEqual(
      expect.objectContaining({ fieldViolations: [expect.objectContaining({ field: "conversation_id" })] }),
    );
  });
});
