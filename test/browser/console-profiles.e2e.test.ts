import { fromBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UpdateConversationProfileRequestSchema, type ConversationProfile } from "../../src/gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import { parseBootstrap } from "../../src/domain/bootstrap.js";
import { startConversation } from "../support/fixtures.js";
import { createClients, startTestServer, type Clients, type TestServer } from "../support/test-server.js";
import { launchChromium } from "./chromium.js";
import { consolePages, tabTo } from "./console-page.js";

// The Profiles tab: create and edit a profile from a dialog (an update mask of
// exactly the changed fields), delete it (the service's refusal shown as it
// comes), and its conversation count and the numbers its conversations hold.

const PARENT = "projects/console-profiles/locations/global";
const bootstrap = parseBootstrap({
  conversationProfiles: [{ parent: PARENT, id: "phone-line", displayName: "Phone line", phoneNumbers: ["+15550100", "+15550101", "+15550102"] }],
});

describe("the console's Profiles tab", () => {
  let test: TestServer;
  let clients: Clients;
  let browser: Browser;
  const pages = consolePages(() => browser, () => test.baseUrl);

  beforeAll(async () => {
    test = await startTestServer({ bootstrap });
    clients = createClients("grpc", test.baseUrl);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await pages.close();
    await browser?.close();
    expect(test?.internalErrors).toEqual([]);
    expect(pages.pageErrors).toEqual([]);
    await test?.stop();
  });

  const text = (page: Page, selector: string) => page.locator(selector).textContent();
  const profileId = (profile: ConversationProfile) => profile.name.split("/").pop() ?? "";
  const listed = async () => (await clients.profiles.listConversationProfiles({ parent: PARENT })).conversationProfiles;

  it("creates a profile from the keyboard", async () => {
    const page = await pages.open(`?parent=${PARENT}&tab=profiles`);
    await expect.poll(() => page.locator("#profiles tbody th a").count()).toBeGreaterThan(0);
    await tabTo(page, "new-profile");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("profile-displayName");
    await page.keyboard.type("Billing");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("profile-languageCode");
    await page.keyboard.type("fr-FR");
    await page.keyboard.press("Enter");
    await expect.poll(() => text(page, "#detail-heading")).toBe("Billing");
    const created = (await listed()).find((profile) => profile.displayName === "Billing");
    expect(created?.languageCode).toBe("fr-FR");
    expect(created?.automatedAgentConfig).toBeUndefined();
    expect(await page.evaluate(() => location.search)).toContain(`open=${profileId(created!)}`);
    expect(await text(page, "#fact-conversations")).toBe("0");
  });

  it("edits only the fields changed: the update mask names them, and another client's change to another field survives", async () => {
    const profile = await clients.profiles.createConversationProfile({ parent: PARENT, conversationProfile: { displayName: "Support", languageCode: "en-US", timeZone: "Europe/Paris" } });
    const page = await pages.open(`?parent=${PARENT}&tab=profiles&open=${profileId(profile)}`);
    await expect.poll(() => text(page, "#detail-heading")).toBe("Support");
    const masks: string[][] = [];
    page.on("request", (request) => {
      const body = request.postDataBuffer();
      if (request.url().endsWith("/UpdateConversationProfile") && body !== null) masks.push(fromBinary(UpdateConversationProfileRequestSchema, body).updateMask?.paths ?? []);
    });
    await page.click("#edit-profile");
    expect(await page.inputValue("#profile-timeZone")).toBe("Europe/Paris");
    await page.fill("#profile-timeZone", "America/New_York");
    await page.fill("#profile-agent", "projects/console-profiles/agent");
    // Meanwhile, someone renames it elsewhere: the console's save must not undo that.
    await clients.profiles.updateConversationProfile({ conversationProfile: { name: profile.name, displayName: "Support (renamed)" }, updateMask: { paths: ["display_name"] } });
    await page.press("#profile-timeZone", "Enter");
    await expect.poll(() => masks).toEqual([["time_zone", "automated_agent_config.agent"]]);
    await expect.poll(() => text(page, "#detail-heading")).toBe("Support (renamed)");
    const stored = await clients.profiles.getConversationProfile({ name: profile.name });
    expect([stored.displayName, stored.languageCode, stored.timeZone, stored.automatedAgentConfig?.agent]).toEqual(["Support (renamed)", "en-US", "America/New_York", "projects/console-profiles/agent"]);
  });

  it("keeps the dialog open with the service's error when an edit is refused", async () => {
    const profile = await clients.profiles.createConversationProfile({ parent: PARENT, conversationProfile: { displayName: "Strict" } });
    const page = await pages.open(`?parent=${PARENT}&tab=profiles&open=${profileId(profile)}`, { expectFailedCalls: true });
    await page.click("#edit-profile");
    await page.fill("#profile-agent", "not an agent");
    await page.press("#profile-agent", "Enter");
    await expect.poll(() => page.locator("#dialog .error").textContent()).toMatch(/^INVALID_ARGUMENT: /);
    await page.keyboard.press("Escape");
    expect((await clients.profiles.getConversationProfile({ name: profile.name })).automatedAgentConfig).toBeUndefined();
  });

  it("shows the conversation count and the numbers its running conversations hold", async () => {
    const line = await clients.profiles.getConversationProfile({ name: `${PARENT}/conversationProfiles/phone-line` });
    const first = await startConversation(clients, PARENT, line);
    const second = await startConversation(clients, PARENT, line);
    await startConversation(clients, PARENT, line).then((third) => clients.conversations.completeConversation({ name: third.name }));
    const page = await pages.open(`?parent=${PARENT}&tab=profiles&open=phone-line`);
    await expect.poll(() => text(page, "#fact-conversations")).toBe("3");
    const held = [first, second].map((c) => c.phoneNumber?.phoneNumber).sort();
    expect(await text(page, "#fact-numbers")).toBe(held.join(", "));
  });

  it("deletes after a confirmation, showing Google's FAILED_PRECONDITION while the profile is in use", async () => {
    const profile = await clients.profiles.createConversationProfile({ parent: PARENT, conversationProfile: { displayName: "Busy" } });
    const conversation = await startConversation(clients, PARENT, profile);
    const page = await pages.open(`?parent=${PARENT}&tab=profiles&open=${profileId(profile)}`, { expectFailedCalls: true });
    await expect.poll(() => text(page, "#fact-conversations")).toBe("1");
    await tabTo(page, "delete-profile");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator("#dialog h2").textContent()).toBe("Delete profile");
    // The dialog opens on Cancel: deleting takes a deliberate step to the Delete button.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Cancel");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await expect.poll(() => text(page, "#error")).toMatch(/^FAILED_PRECONDITION: /);
    expect((await listed()).some((p) => p.name === profile.name)).toBe(true);

    await clients.conversations.completeConversation({ name: conversation.name });
    await page.click("#delete-profile");
    await page.locator("#dialog button", { hasText: "Delete" }).click();
    await expect.poll(() => page.isHidden("#detail")).toBe(true);
    await expect.poll(() => page.locator(`#profiles a[data-id="${profileId(profile)}"]`).count()).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("new-profile");
    const gone = await clients.profiles.getConversationProfile({ name: profile.name }).catch((error: unknown) => ConnectError.from(error).code);
    expect(gone).toBe(Code.NotFound);
  });
});
