import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changedProfilePaths, profileSettings } from "../console/src/profile-edit.js";
import { profileUsage } from "../console/src/profile-usage.js";
import { parseBootstrap } from "../src/domain/bootstrap.js";
import { createHumanProfile, startConversation } from "./support/fixtures.js";
import { createClients, startTestServer, type Clients, type TestServer } from "./support/test-server.js";

// What the console's Profiles tab computes: a profile's conversation count
// (filtered List pages up to a cap, "N+" beyond), the numbers its running
// conversations hold, and the update mask of an edit.

const parent = "projects/console-usage/locations/global";
const bootstrap = parseBootstrap({
  conversationProfiles: [{ parent, id: "lines", displayName: "Lines", phoneNumbers: ["+15550100", "+15550101", "+15550102"] }],
});

describe("the console's profile usage", () => {
  let test: TestServer;
  let clients: Clients;

  beforeAll(async () => {
    test = await startTestServer({ bootstrap });
    clients = createClients("connect (http/1.1)", test.baseUrl);
  });
  afterAll(async () => {
    expect(test?.internalErrors).toEqual([]);
    await test?.stop();
  });

  it("counts a profile's conversations page by page, up to the cap, and says when there are more", async () => {
    const counted = await createHumanProfile(clients, parent);
    const other = await createHumanProfile(clients, parent);
    for (let i = 0; i < 5; i++) await startConversation(clients, parent, counted);
    await startConversation(clients, parent, other);
    expect(await profileUsage(clients.conversations, parent, counted.name, { pageSize: 2, pages: 3 })).toEqual({ count: 5, hasMore: false, numbersInUse: [] });
    expect(await profileUsage(clients.conversations, parent, counted.name, { pageSize: 2, pages: 2 })).toEqual({ count: 4, hasMore: true, numbersInUse: [] });
    expect((await profileUsage(clients.conversations, parent, other.name)).count).toBe(1);
  });

  it("lists the numbers its running conversations hold, not those released on completion", async () => {
    const lines = await clients.profiles.getConversationProfile({ name: `${parent}/conversationProfiles/lines` });
    const first = await startConversation(clients, parent, lines);
    const second = await startConversation(clients, parent, lines);
    await clients.conversations.completeConversation({ name: first.name });
    const usage = await profileUsage(clients.conversations, parent, lines.name);
    expect(usage.count).toBe(2);
    expect(usage.numbersInUse).toEqual([second.phoneNumber?.phoneNumber]);
  });

  it("masks exactly the settings an edit changed", () => {
    const before = profileSettings(undefined);
    expect(changedProfilePaths(before, before)).toEqual([]);
    expect(changedProfilePaths(before, { ...before, timeZone: "Europe/Paris", agent: "projects/p/agent" })).toEqual(["time_zone", "automated_agent_config.agent"]);
  });
});
