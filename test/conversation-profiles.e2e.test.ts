import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectInvalidArgument, expectResourceError } from "./support/errors.js";
import { createAgentProfile, createHumanProfile, startConversation } from "./support/fixtures.js";
import { PROTOCOLS, createClients, startTestServer, type Clients, type TestServer } from "./support/test-server.js";

// ConversationProfiles (DESIGN §4.7), over every protocol.
describe.each(PROTOCOLS)("ConversationProfiles over %s", (protocol) => {
  const parent = "projects/profiler/locations/global";
  let test: TestServer;
  let clients: Clients;

  beforeAll(async () => {
    test = await startTestServer();
    clients = createClients(protocol, test.baseUrl);
  });
  afterAll(async () => {
    expect(test.internalErrors).toEqual([]);
    await test.stop();
  });

  it("creates a profile with a generated name and timestamps, and reads it back", async () => {
    const profile = await createAgentProfile(clients, parent);
    expect(profile.name).toMatch(/^projects\/profiler\/locations\/global\/conversationProfiles\/[a-zA-Z][a-zA-Z0-9_-]{21,}$/);
    expect(profile.displayName).toBe("Virtual agent first");
    expect(profile.automatedAgentConfig?.agent).toBe("projects/profiler/agent");
    expect(profile.languageCode).toBe("en-US");
    expect(profile.createTime).toBeDefined();
    expect(profile.updateTime).toEqual(profile.createTime);
    expect(await clients.profiles.getConversationProfile({ name: profile.name })).toEqual(profile);
  });

  it("creates under the project-level parent too", async () => {
    const profile = await createHumanProfile(clients, "projects/profiler");
    expect(profile.name).toMatch(/^projects\/profiler\/conversationProfiles\//);
  });

  it("requires display_name", async () => {
    await expectInvalidArgument(
      clients.profiles.createConversationProfile({ parent, conversationProfile: { displayName: "  " } }),
      "conversation_profile.display_name",
      /required/,
    );
    await expectInvalidArgument(clients.profiles.createConversationProfile({ parent }), "conversation_profile", /required/);
  });

  it.each([
    ["automated_agent_config.agent", { displayName: "x", automatedAgentConfig: { agent: "agents/1" } }, /agent/],
    ["language_code", { displayName: "x", languageCode: "english please" }, /BCP-47/],
    ["time_zone", { displayName: "x", timeZone: "Mars/Olympus" }, /IANA/],
    ["display_name", { displayName: "x".repeat(1025) }, /1024/],
  ])("rejects a bad %s", async (field, conversationProfile, rule) => {
    await expectInvalidArgument(
      clients.profiles.createConversationProfile({ parent, conversationProfile }),
      `conversation_profile.${field}`,
      rule,
    );
  });

  it("rejects a malformed parent", async () => {
    await expectInvalidArgument(
      clients.profiles.createConversationProfile({ parent: "projects/UPPER", conversationProfile: { displayName: "x" } }),
      "parent",
      /project ID/,
    );
  });

  it("returns NOT_FOUND with ResourceInfo for an absent profile", async () => {
    const name = `${parent}/conversationProfiles/nothing-here`;
    await expectResourceError(clients.profiles.getConversationProfile({ name }), Code.NotFound, name);
  });

  it("lists profiles oldest first, page by page", async () => {
    const listParent = "projects/profiler/locations/listing";
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await createHumanProfile(clients, listParent));
    const first = await clients.profiles.listConversationProfiles({ parent: listParent, pageSize: 3 });
    const second = await clients.profiles.listConversationProfiles({ parent: listParent, pageSize: 3, pageToken: first.nextPageToken });
    expect([...first.conversationProfiles, ...second.conversationProfiles].map((p) => p.name)).toEqual(made.map((p) => p.name));
    expect(second.nextPageToken).toBe("");
    await expectInvalidArgument(
      clients.profiles.listConversationProfiles({ parent: "projects/profiler", pageToken: first.nextPageToken }),
      "page_token",
      /token/,
    );
    await expectInvalidArgument(clients.profiles.listConversationProfiles({ parent, pageSize: -5 }), "page_size", /negative/);
  });

  it("updates only the fields named by the update mask", async () => {
    const profile = await createAgentProfile(clients, parent);
    const updated = await clients.profiles.updateConversationProfile({
      conversationProfile: { name: profile.name, displayName: "Renamed", languageCode: "fr-FR", timeZone: "Asia/Tokyo" },
      updateMask: { paths: ["display_name", "time_zone"] },
    });
    expect(updated.displayName).toBe("Renamed");
    expect(updated.timeZone).toBe("Asia/Tokyo");
    expect(updated.languageCode).toBe("en-US");
    expect(updated.automatedAgentConfig?.agent).toBe(profile.automatedAgentConfig?.agent);
    expect(updated.createTime).toEqual(profile.createTime);
    expect(updated.updateTime!.seconds * 1_000_000_000n + BigInt(updated.updateTime!.nanos)).toBeGreaterThanOrEqual(
      profile.updateTime!.seconds * 1_000_000_000n + BigInt(profile.updateTime!.nanos),
    );
    expect(await clients.profiles.getConversationProfile({ name: profile.name })).toEqual(updated);
  });

  it("removes the automated agent when the mask names it and the value is empty", async () => {
    const profile = await createAgentProfile(clients, parent);
    const updated = await clients.profiles.updateConversationProfile({
      conversationProfile: { name: profile.name },
      updateMask: { paths: ["automated_agent_config"] },
    });
    expect(updated.automatedAgentConfig).toBeUndefined();
    const conversation = await startConversation(clients, parent, updated);
    expect(conversation.conversationStage).toBe(2);
  });

  it("rejects an update without a mask, with an unknown path, or with an invalid value, changing nothing", async () => {
    const profile = await createHumanProfile(clients, parent);
    const request = (paths: string[], displayName = "New") =>
      clients.profiles.updateConversationProfile({ conversationProfile: { name: profile.name, displayName }, updateMask: { paths } });
    await expectInvalidArgument(request([]), "update_mask", /required/);
    await expectInvalidArgument(request(["colour"]), "update_mask", /colour/);
    await expectInvalidArgument(request(["display_name.first"]), "update_mask", /display_name\.first/);
    await expectInvalidArgument(request(["display_name"], ""), "conversation_profile.display_name", /required/);
    expect(await clients.profiles.getConversationProfile({ name: profile.name })).toEqual(profile);
  });

  it("returns NOT_FOUND when updating an absent profile", async () => {
    const name = `${parent}/conversationProfiles/ghost-profile`;
    await expectResourceError(
      clients.profiles.updateConversationProfile({ conversationProfile: { name, displayName: "x" }, updateMask: { paths: ["display_name"] } }),
      Code.NotFound,
      name,
    );
  });

  it("deletes a profile, after which it is NOT_FOUND", async () => {
    const profile = await createHumanProfile(clients, parent);
    await clients.profiles.deleteConversationProfile({ name: profile.name });
    await expectResourceError(clients.profiles.getConversationProfile({ name: profile.name }), Code.NotFound, profile.name);
    await expectResourceError(clients.profiles.deleteConversationProfile({ name: profile.name }), Code.NotFound, profile.name);
  });

  it("refuses with FAILED_PRECONDITION to delete a profile that a running conversation uses", async () => {
    const profile = await createHumanProfile(clients, parent);
    const conversation = await startConversation(clients, parent, profile);
    const error = await clients.profiles.deleteConversationProfile({ name: profile.name }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: Code.FailedPrecondition });
    expect(String((error as Error).message)).toContain(profile.name);
    expect(await clients.profiles.getConversationProfile({ name: profile.name })).toEqual(profile);
    await clients.conversations.completeConversation({ name: conversation.name });
    await clients.profiles.deleteConversationProfile({ name: profile.name });
    // The completed conversation still names the profile it ran with.
    expect((await clients.conversations.getConversation({ name: conversation.name })).conversationProfile).toBe(profile.name);
  });
});
