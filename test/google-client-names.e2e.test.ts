import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseBootstrap } from "../src/domain/bootstrap.js";
import { startTestServer, type TestServer } from "./support/test-server.js";
import {
  EXPECTED_CODES,
  GOOGLE_CLIENT_MODES,
  createGoogleClients,
  detailsOf,
  errorInfoOf,
  googleFailureOf,
  type GoogleClientMode,
  type GoogleClients,
} from "./support/google-client.js";

// Names as Google documents them, seen through Google's client: one global
// location under two spellings, every agent form, the profile snapshot and
// the telephony fields of a conversation, and profiles that cannot be deleted.

const PROJECT = "names";
const bootstrap = parseBootstrap({
  conversationProfiles: [
    { parent: `projects/${PROJECT}`, id: "paris-line", displayName: "Paris", phoneNumbers: ["+33140000000"] },
    { parent: `projects/${PROJECT}/locations/global`, id: "us-line", displayName: "US", phoneNumbers: ["+15550001000"] },
    { parent: `projects/${PROJECT}/locations/global`, id: "uk-line", displayName: "UK", phoneNumbers: ["+442071234567"] },
  ],
});

describe.each(Object.keys(GOOGLE_CLIENT_MODES) as GoogleClientMode[])("Names and snapshots through Google's client over %s", (mode) => {
  // Each mode has its own project so the two runs share nothing.
  const project = `${PROJECT}-${mode === "gRPC" ? "grpc" : "rest"}`;
  const short = `projects/${project}`;
  const located = `projects/${project}/locations/global`;
  let test: TestServer;
  let clients: GoogleClients;

  beforeAll(async () => {
    test = await startTestServer({ bootstrap });
    clients = createGoogleClients(mode, test.server.port);
  });
  afterAll(async () => {
    await clients.close();
    expect(test.internalErrors).toEqual([]);
    await test.stop();
  });

  async function createProfile(parent: string, fields: Record<string, unknown> = {}) {
    const [profile] = await clients.profiles.createConversationProfile({ parent, conversationProfile: { displayName: "Names", ...fields } });
    return profile.name ?? "";
  }

  describe("one global location", () => {
    it("reads a profile under both spellings, each answer in the spelling asked", async () => {
      const name = await createProfile(short);
      expect(name).toMatch(new RegExp(`^${short}/conversationProfiles/[A-Za-z][A-Za-z0-9_-]+$`));
      const id = name.split("/").pop();
      const [viaLocated] = await clients.profiles.getConversationProfile({ name: `${located}/conversationProfiles/${id}` });
      expect(viaLocated.name).toBe(`${located}/conversationProfiles/${id}`);
      expect(viaLocated.displayName).toBe("Names");
      const [listedShort] = await clients.profiles.listConversationProfiles({ parent: short });
      const [listedLocated] = await clients.profiles.listConversationProfiles({ parent: located });
      expect(listedShort.map((profile) => profile.name)).toContain(name);
      expect(listedLocated.map((profile) => profile.name)).toContain(`${located}/conversationProfiles/${id}`);
      expect(listedLocated).toHaveLength(listedShort.length);
    });

    it("keeps one conversation per ID: taken under one spelling is ALREADY_EXISTS under the other", async () => {
      const profile = await createProfile(located);
      const [created] = await clients.conversations.createConversation({
        parent: short,
        conversationId: "one-row",
        conversation: { conversationProfile: profile },
      });
      expect(created.name).toBe(`${short}/conversations/one-row`);
      const error = await googleFailureOf(
        clients.conversations.createConversation({ parent: located, conversationId: "one-row", conversation: { conversationProfile: profile } }),
      );
      expect(error.code).toBe(EXPECTED_CODES[mode].alreadyExists);
      expect(detailsOf(error)).toContainEqual(expect.objectContaining({ resourceName: `${located}/conversations/one-row` }));
      const [read] = await clients.conversations.getConversation({ name: `${located}/conversations/one-row` });
      expect(read.name).toBe(`${located}/conversations/one-row`);
      expect(String(read.startTime?.seconds)).toBe(String(created.startTime?.seconds));
      const [completed] = await clients.conversations.completeConversation({ name: `${located}/conversations/one-row` });
      const [again] = await clients.conversations.getConversation({ name: `${short}/conversations/one-row` });
      expect(String(again.lifecycleState)).toMatch(/^(COMPLETED|2)$/);
      expect(String(again.endTime?.seconds)).toBe(String(completed.endTime?.seconds));
    });

    it("lists a conversation under both spellings, and filters on its profile written either way", async () => {
      const profile = await createProfile(short);
      const [created] = await clients.conversations.createConversation({ parent: located, conversation: { conversationProfile: profile } });
      const id = created.name?.split("/").pop();
      const otherSpelling = profile.replace(short, located);
      for (const [parent, reference] of [
        [short, profile],
        [located, otherSpelling],
        [short, otherSpelling],
      ] as const) {
        const [listed] = await clients.conversations.listConversations({ parent, filter: `conversation_profile = "${reference}"` });
        expect(listed.map((conversation) => conversation.name)).toEqual([`${parent}/conversations/${id}`]);
      }
    });

    it("refuses a profile from another location, naming both locations", async () => {
      const profile = await createProfile(short);
      const error = await googleFailureOf(
        clients.conversations.createConversation({
          parent: `projects/${project}/locations/us-central1`,
          conversation: { conversationProfile: profile },
        }),
      );
      expect(error.code).toBe(EXPECTED_CODES[mode].invalidArgument);
      expect(errorInfoOf(error)).toMatchObject({
        reason: "PROFILE_LOCATION_MISMATCH",
        metadata: { field: "conversation.conversation_profile", profileLocation: "global", conversationLocation: "us-central1" },
      });
    });

    it("refuses to delete, under either spelling, a profile that a running conversation uses", async () => {
      const profile = await createProfile(short);
      await clients.conversations.createConversation({ parent: short, conversation: { conversationProfile: profile } });
      const error = await googleFailureOf(clients.profiles.deleteConversationProfile({ name: profile.replace(short, located) }));
      expect(error.code).toBe(EXPECTED_CODES[mode].failedPrecondition);
      expect(errorInfoOf(error)?.reason).toBe("PROFILE_IN_USE");
    });
  });

  describe("agent names", () => {
    it.each([
      `projects/${PROJECT}/agent`,
      `projects/${PROJECT}/locations/global/agent`,
      `projects/${PROJECT}/agent/environments/-`,
      `projects/${PROJECT}/locations/europe-west1/agent/environments/production`,
      `projects/${PROJECT}/locations/us-central1/agents/0f4c5a6e-1b2c-4d3e-9f80-a1b2c3d4e5f6`,
      `projects/${PROJECT}/locations/global/agents/0f4c5a6e-1b2c-4d3e-9f80-a1b2c3d4e5f6/environments/7c1d2e3f-aaaa-4bbb-8ccc-0123456789ab`,
    ])("accepts %s, and a conversation on it starts with the virtual agent", async (agent) => {
      const profile = await createProfile(located, { automatedAgentConfig: { agent } });
      const [read] = await clients.profiles.getConversationProfile({ name: profile });
      expect(read.automatedAgentConfig?.agent).toBe(agent);
      const [conversation] = await clients.conversations.createConversation({ parent: located, conversation: { conversationProfile: profile } });
      expect(String(conversation.conversationStage)).toMatch(/^(VIRTUAL_AGENT_STAGE|1)$/);
    });

    it("refuses another form with INVALID_ARGUMENT naming the accepted forms", async () => {
      const agent = `projects/${PROJECT}/locations/global/agents/a/flows/f`;
      const error = await googleFailureOf(
        clients.profiles.createConversationProfile({ parent: located, conversationProfile: { displayName: "Bad", automatedAgentConfig: { agent } } }),
      );
      expect(error.code).toBe(EXPECTED_CODES[mode].invalidArgument);
      expect(errorInfoOf(error)).toMatchObject({ reason: "INVALID_AGENT_NAME", metadata: { agent, field: "conversation_profile.automated_agent_config.agent" } });
      // The rule as the details carry it (the gRPC status message is escaped until grpc-message is sent as the spec asks).
      const [badRequest] = detailsOf(error) as { fieldViolations?: { description: string }[] }[];
      const rule = badRequest?.fieldViolations?.[0]?.description;
      expect(rule).toContain("projects/{project}/locations/{location}/agents/{agent}[/environments/{environment}]");
      expect(rule).toContain("projects/{project}[/locations/{location}]/agent[/environments/{environment or -}]");
    });
  });

  describe("conversation fields", () => {
    it("keeps the profile as it was at creation in initial_conversation_profile", async () => {
      const profile = await createProfile(located, {
        languageCode: "de-DE",
        sttConfig: { model: "phone_call", sampleRateHertz: 8000 },
        notificationConfig: { topic: "projects/names/topics/t" },
      });
      const [created] = await clients.conversations.createConversation({ parent: located, conversation: { conversationProfile: profile } });
      await clients.profiles.updateConversationProfile({
        conversationProfile: { name: profile, displayName: "Changed later", sttConfig: { model: "latest_long" } },
        updateMask: { paths: ["display_name", "stt_config.model"] },
      });
      const [read] = await clients.conversations.getConversation({ name: created.name });
      const snapshot = read.initialConversationProfile;
      expect(snapshot).toMatchObject({
        name: profile,
        displayName: "Names",
        languageCode: "de-DE",
        sttConfig: { model: "phone_call", sampleRateHertz: 8000 },
        notificationConfig: { topic: "projects/names/topics/t" },
      });
      expect(Number(snapshot?.createTime?.seconds)).toBeGreaterThan(1_700_000_000);
      expect(created.initialConversationProfile?.displayName).toBe("Names");
    });

    it.each([
      ["paris-line", "+33140000000", 33],
      ["us-line", "+15550001000", 1],
      ["uk-line", "+442071234567", 44],
    ])("gives a conversation on %s the number %s with country code %i", async (id, number, countryCode) => {
      const profile = `projects/${PROJECT}/conversationProfiles/${id}`;
      const [conversation] = await clients.conversations.createConversation({ parent: `projects/${PROJECT}`, conversation: { conversationProfile: profile } });
      expect(conversation.phoneNumber?.phoneNumber).toBe(number);
      expect(Number(conversation.phoneNumber?.countryCode)).toBe(countryCode);
      expect(conversation.telephonyConnectionInfo ?? null).toBeNull();
      await clients.conversations.completeConversation({ name: conversation.name });
    });

    it("refuses to delete a profile that telephony numbers reference, and keeps it", async () => {
      const name = `projects/${PROJECT}/locations/global/conversationProfiles/uk-line`;
      const error = await googleFailureOf(clients.profiles.deleteConversationProfile({ name }));
      expect(error.code).toBe(EXPECTED_CODES[mode].failedPrecondition);
      expect(errorInfoOf(error)).toMatchObject({ reason: "PROFILE_HAS_PHONE_NUMBERS", metadata: { resource: name } });
      const [still] = await clients.profiles.getConversationProfile({ name });
      expect(still.displayName).toBe("UK");
    });
  });
});
