import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./support/test-server.js";
import {
  EXPECTED_CODES,
  GOOGLE_CLIENT_MODES,
  createGoogleClients,
  errorInfoOf,
  googleFailureOf,
  type GoogleClientMode,
  type GoogleClients,
} from "./support/google-client.js";

// AIP-193 as Google's client reads it: every failure carries an ErrorInfo in
// dialogflow.googleapis.com whose reason tells this failure from the others,
// with the names and fields involved in its metadata.

describe.each(Object.keys(GOOGLE_CLIENT_MODES) as GoogleClientMode[])("Error reasons through Google's client over %s", (mode) => {
  const parent = `projects/errors-${mode === "gRPC" ? "grpc" : "rest"}/locations/global`;
  let test: TestServer;
  let clients: GoogleClients;
  let humanProfile: string;
  const codes = EXPECTED_CODES[mode];

  beforeAll(async () => {
    test = await startTestServer();
    clients = createGoogleClients(mode, test.server.port);
    const [profile] = await clients.profiles.createConversationProfile({ parent, conversationProfile: { displayName: "No agent" } });
    humanProfile = profile.name ?? "";
    await clients.conversations.createConversation({ parent, conversationId: "taken-id", conversation: { conversationProfile: humanProfile } });
  });
  afterAll(async () => {
    await clients.close();
    expect(test.internalErrors).toEqual([]);
    await test.stop();
  });

  const cases: [string, () => Promise<unknown>, keyof typeof codes, string, Record<string, string>][] = [
    // (A parent of the wrong shape never leaves the REST client, which checks it against the http rule.)
    ["a malformed project", () => clients.conversations.listConversations({ parent: "projects/Bad_Project" }), "invalidArgument", "INVALID_PROJECT_ID", { field: "parent", project: "Bad_Project" }],
    ["a malformed location", () => clients.conversations.listConversations({ parent: "projects/p/locations/Bad_Location" }), "invalidArgument", "INVALID_LOCATION_ID", { field: "parent", location: "Bad_Location" }],
    ["a negative page size", () => clients.conversations.listConversations({ parent, pageSize: -1 }), "invalidArgument", "PAGE_SIZE_NEGATIVE", { field: "page_size", pageSize: "-1" }],
    ["a filter on an unknown field", () => clients.conversations.listConversations({ parent, filter: "colour = red" }), "invalidArgument", "INVALID_FILTER", { field: "filter" }],
    ["a forged page token", () => clients.conversations.listConversations({ parent, pageToken: "forged.token" }), "invalidArgument", "INVALID_PAGE_TOKEN", { field: "page_token" }],
    ["a bad conversation_id", () => clients.conversations.createConversation({ parent, conversationId: "9starts-with-digit", conversation: { conversationProfile: humanProfile } }), "invalidArgument", "INVALID_RESOURCE_ID", { field: "conversation_id", value: "9starts-with-digit" }],
    ["a missing profile reference", () => clients.conversations.createConversation({ parent, conversation: {} }), "invalidArgument", "NAME_MISSING", { field: "conversation.conversation_profile" }],
    ["the virtual agent stage on a profile without agent", () => clients.conversations.createConversation({ parent, conversation: { conversationProfile: humanProfile, conversationStage: "VIRTUAL_AGENT_STAGE" } }), "invalidArgument", "PROFILE_HAS_NO_AGENT", { field: "conversation.conversation_stage", conversationProfile: "" }],
    ["a blank display name", () => clients.profiles.createConversationProfile({ parent, conversationProfile: { displayName: " " } }), "invalidArgument", "DISPLAY_NAME_MISSING", { field: "conversation_profile.display_name" }],
    ["a bad language code", () => clients.profiles.createConversationProfile({ parent, conversationProfile: { displayName: "x", languageCode: "english!" } }), "invalidArgument", "INVALID_LANGUAGE_CODE", { field: "conversation_profile.language_code", languageCode: "english!" }],
    ["a bad time zone", () => clients.profiles.createConversationProfile({ parent, conversationProfile: { displayName: "x", timeZone: "Mars/Olympus" } }), "invalidArgument", "INVALID_TIME_ZONE", { field: "conversation_profile.time_zone", timeZone: "Mars/Olympus" }],
    ["an update without mask", () => clients.profiles.updateConversationProfile({ conversationProfile: { name: humanProfile, displayName: "y" }, updateMask: { paths: [] } }), "invalidArgument", "UPDATE_MASK_MISSING", { field: "update_mask" }],
    ["an absent conversation", () => clients.conversations.getConversation({ name: `${parent}/conversations/absent` }), "notFound", "CONVERSATION_NOT_FOUND", { resource: `${parent}/conversations/absent` }],
    ["an absent profile", () => clients.profiles.getConversationProfile({ name: `${parent}/conversationProfiles/absent` }), "notFound", "CONVERSATION_PROFILE_NOT_FOUND", { resource: `${parent}/conversationProfiles/absent` }],
    ["a taken conversation_id", () => clients.conversations.createConversation({ parent, conversationId: "taken-id", conversation: { conversationProfile: humanProfile } }), "alreadyExists", "CONVERSATION_ALREADY_EXISTS", { resource: `${parent}/conversations/taken-id` }],
    ["deleting a profile in use", () => clients.profiles.deleteConversationProfile({ name: humanProfile }), "failedPrecondition", "PROFILE_IN_USE", { resource: "" }],
  ];

  it.each(cases)("answers %s with its own reason", async (_what, call, code, reason, metadata) => {
    const error = await googleFailureOf(call());
    expect(error.code).toBe(codes[code]);
    const info = errorInfoOf(error);
    expect(info?.domain).toBe("dialogflow.googleapis.com");
    expect(info?.reason).toBe(reason);
    // Empty strings stand for names only known once the server runs (the profile's).
    const expected = Object.fromEntries(Object.entries(metadata).map(([key, value]) => [key, value === "" ? humanProfile : value]));
    expect(info?.metadata).toMatchObject(expected);
  });

  it("uses a different reason for each of these failures", () => {
    const reasons = cases.map(([, , , reason]) => reason);
    expect(new Set(reasons).size).toBe(reasons.length);
  });
});
