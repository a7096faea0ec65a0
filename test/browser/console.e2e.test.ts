import { mkdir } from "node:fs/promises";
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { ConnectError } from "@connectrpc/connect";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parseBootstrap } from "../../src/domain/bootstrap.js";
import type { ConversationProfile } from "../../src/gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import { ConversationSchema, Conversation_LifecycleState } from "../../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { createAgentProfile, createHumanProfile, listAll, startConversation } from "../support/fixtures.js";
import { createClients, startTestServer, type Clients, type TestServer } from "../support/test-server.js";
import { launchChromium } from "./chromium.js";

// The web console at /console/, built as `npm run build:console` builds it
// (build-console.ts, before the tests) and served by the service, driven in
// headless Chromium; data is made and checked through gRPC.

const ARTIFACTS = new URL("../../test-results/", import.meta.url).pathname;
const PARENT = "projects/console-demo/locations/global";
const TIME_ZONE = "Europe/Paris";
const LOCALE = "en-GB";

describe("the web console", () => {
  let test: TestServer;
  let clients: Clients;
  let browser: Browser;
  let agentProfile: ConversationProfile;
  let humanProfile: ConversationProfile;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    test = await startTestServer({
      bootstrap: parseBootstrap({
        conversationProfiles: [{ parent: PARENT, id: "phone-line", displayName: "Phone line", phoneNumbers: ["+15550100", "+15550101"] }],
      }),
    });
    clients = createClients("grpc", test.baseUrl);
    agentProfile = await createAgentProfile(clients, PARENT);
    humanProfile = await createHumanProfile(clients, PARENT);
    const phoneProfile = await clients.profiles.getConversationProfile({ name: `${PARENT}/conversationProfiles/phone-line` });
    for (const [id, profile] of [["call-01", agentProfile], ["call-02", humanProfile], ["call-03", phoneProfile], ["call-04", agentProfile], ["call-05", humanProfile]] as const) {
      await startConversation(clients, PARENT, profile, id);
    }
    await clients.conversations.completeConversation({ name: `${PARENT}/conversations/call-02` });
    browser = await launchChromium();
  });
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    expect(test?.internalErrors).toEqual([]);
    expect(pageErrors).toEqual([]);
    await test?.stop();
  });

  async function openConsole(query: string, viewport = { width: 1280, height: 800 }, expectFailedCalls = false): Promise<Page> {
    const context = await browser.newContext({ viewport, timezoneId: TIME_ZONE, locale: LOCALE });
    contexts.push(context);
    const page = await context.newPage();
    page.on("pageerror", (error) => pageErrors.push(error.message));
    // CSP violations and failed loads are reported on the console as errors.
    page.on("console", (message) => {
      const failedCall = message.text().startsWith("Failed to load resource: the server responded with a status of 4");
      if (message.type() === "error" && !(expectFailedCalls && failedCall)) pageErrors.push(message.text());
    });
    await page.goto(`${test.baseUrl}/console/${query}`);
    return page;
  }

  const rowIds = (page: Page) => page.locator("#conversations tbody th a").allTextContents();
  const cell = (page: Page, id: string, label: string) => page.locator(`#conversations tbody tr:has(a[data-id="${id}"]) [data-label="${label}"]`).innerText();
  // textContent: nested settings sit in collapsed groups, which innerText reads as empty.
  const field = (page: Page, path: string) => page.locator(`#detail dd[data-field="${path}"]`).textContent();
  const localTime = (timestamp: Timestamp | undefined) =>
    timestamp === undefined
      ? "unset"
      : [{ dateStyle: "medium" } as const, { timeStyle: "medium" } as const]
          .map((style) => new Intl.DateTimeFormat(LOCALE, { ...style, timeZone: TIME_ZONE }).format(timestampDate(timestamp)))
          .join(" ");
  const serviceMessage = async (call: () => Promise<unknown>) => {
    try {
      await call();
    } catch (error) {
      return ConnectError.from(error).rawMessage;
    }
    throw new Error("the call succeeded");
  };

  it("fits the bundle budget: at most 150 kB gzipped", () => {
    const bundle = inject("consoleBundle");
    console.log(`console bundle: ${bundle.bytes} bytes, ${bundle.gzipBytes} bytes gzipped`);
    expect(bundle.gzipBytes).toBeLessThanOrEqual(150 * 1024);
  });

  it("lists the conversations created through gRPC, newest first, with local times and counts", async () => {
    const page = await openConsole(`?parent=${PARENT}`);
    const listed = await listAll(clients, PARENT);
    expect(listed.map((c) => c.name.split("/").pop())).toEqual(["call-05", "call-04", "call-03", "call-02", "call-01"]);
    await expect.poll(() => rowIds(page)).toEqual(["call-05", "call-04", "call-03", "call-02", "call-01"]);

    const phoneCall = listed.find((c) => c.name.endsWith("/call-03"));
    expect(await cell(page, "call-03", "State")).toBe("In progress");
    expect(await cell(page, "call-03", "Stage")).toBe("Human assist");
    expect(await cell(page, "call-03", "Profile")).toBe("Phone line");
    expect(await cell(page, "call-03", "Phone number")).toBe(phoneCall?.phoneNumber?.phoneNumber);
    expect(phoneCall?.phoneNumber?.phoneNumber).toMatch(/^\+1555010[01]$/);
    expect(await cell(page, "call-03", "Start")).toBe(localTime(phoneCall?.startTime));
    expect(await cell(page, "call-03", "End")).toBe("—");
    expect(await cell(page, "call-04", "Stage")).toBe("Virtual agent");
    expect(await cell(page, "call-04", "Profile")).toBe("Virtual agent first");

    const completed = listed.find((c) => c.name.endsWith("/call-02"));
    expect(await cell(page, "call-02", "State")).toBe("Completed");
    expect(await cell(page, "call-02", "End")).toBe(localTime(completed?.endTime));

    await expect.poll(() => page.locator("#count-in-progress strong").textContent()).toBe("4");
    expect(await page.locator("#count-completed strong").textContent()).toBe("1");
    await page.screenshot({ path: `${ARTIFACTS}console-1280x800.png` });
  });

  it("filters by state and stage through the List filter, kept in the URL", async () => {
    const page = await openConsole(`?parent=${PARENT}`);
    await expect.poll(() => rowIds(page)).toHaveLength(5);
    await page.selectOption("#filter-state", "COMPLETED");
    await expect.poll(() => rowIds(page)).toEqual(["call-02"]);
    expect(new URL(page.url()).searchParams.get("state")).toBe("COMPLETED");

    await page.selectOption("#filter-state", "");
    await page.selectOption("#filter-stage", "VIRTUAL_AGENT_STAGE");
    await expect.poll(() => rowIds(page)).toEqual(["call-04", "call-01"]);
    await page.selectOption("#filter-state", "IN_PROGRESS");
    await page.selectOption("#filter-stage", "HUMAN_ASSIST_STAGE");
    await expect.poll(() => rowIds(page)).toEqual(["call-05", "call-03"]);

    await page.reload();
    await expect.poll(() => rowIds(page)).toEqual(["call-05", "call-03"]);
    expect(await page.inputValue("#filter-state")).toBe("IN_PROGRESS");
    expect(await page.inputValue("#filter-stage")).toBe("HUMAN_ASSIST_STAGE");
    await page.goBack();
    await expect.poll(() => rowIds(page)).toEqual(["call-04", "call-01"]);
    expect(await page.inputValue("#filter-stage")).toBe("VIRTUAL_AGENT_STAGE");
  });

  it("opens a conversation with every field, and completes it only after confirmation", async () => {
    const page = await openConsole(`?parent=${PARENT}`);
    await page.locator('a[data-id="call-04"]').click();
    await expect.poll(() => field(page, "lifecycleState")).toBe("IN_PROGRESS");
    expect(await field(page, "name")).toBe(`${PARENT}/conversations/call-04`);
    expect(await field(page, "conversationProfile")).toBe(agentProfile.name);
    expect(await field(page, "conversationStage")).toBe("VIRTUAL_AGENT_STAGE");
    expect(await field(page, "endTime")).toBe("not set");
    const shownFields = await page.locator("#detail dt").allTextContents();
    for (const { jsonName } of ConversationSchema.fields) {
      expect(shownFields.some((path) => path === jsonName || path.startsWith(`${jsonName}.`))).toBe(true);
    }
    expect(new URL(page.url()).searchParams.get("open")).toBe("call-04");

    // Escape cancels: nothing changes.
    await page.click("#complete-conversation");
    await expect.poll(() => page.locator("#dialog").isVisible()).toBe(true);
    expect(await page.locator("#dialog").innerText()).toContain("call-04");
    await page.keyboard.press("Escape");
    await expect.poll(() => page.locator("#dialog").isVisible()).toBe(false);
    const untouched = await clients.conversations.getConversation({ name: `${PARENT}/conversations/call-04` });
    expect(untouched.lifecycleState).toBe(Conversation_LifecycleState.IN_PROGRESS);

    await page.click("#complete-conversation");
    await page.locator("#dialog button", { hasText: "Complete" }).click();
    await expect.poll(() => field(page, "lifecycleState")).toBe("COMPLETED");
    await expect.poll(() => cell(page, "call-04", "State")).toBe("Completed");
    const stored = await clients.conversations.getConversation({ name: `${PARENT}/conversations/call-04` });
    expect(stored.lifecycleState).toBe(Conversation_LifecycleState.COMPLETED);
    expect(await cell(page, "call-04", "End")).toBe(localTime(stored.endTime));
    expect(await page.locator("#complete-conversation").isDisabled()).toBe(true);
    await expect.poll(() => page.locator("#count-completed strong").textContent()).toBe("2");
    expect(await page.locator("#count-in-progress strong").textContent()).toBe("3");
    await page.screenshot({ path: `${ARTIFACTS}console-detail-1280x800.png` });
  });

  it("works from the keyboard: Enter on a row opens it, Close returns", async () => {
    const page = await openConsole(`?parent=${PARENT}`);
    await expect.poll(() => rowIds(page)).toContain("call-05");
    await page.locator('a[data-id="call-05"]').focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator("#detail-heading").textContent()).toBe("Conversation call-05");
    // Focus moves to the details, Tab reaches Close, and closing returns focus to the row.
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("detail-heading");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("detail-close");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator("#detail").isHidden()).toBe(true);
    expect(new URL(page.url()).searchParams.has("open")).toBe(false);
    expect(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.id)).toBe("call-05");
  });

  it("creates a conversation on a chosen profile, showing the service's error until the input is right", async () => {
    const page = await openConsole(`?parent=${PARENT}`, undefined, true);
    await page.click("#new-conversation");
    await page.selectOption("#create-profile", humanProfile.name);
    await page.fill("#create-id", "x");
    await page.locator("#dialog button", { hasText: "Create" }).click();
    const expected = await serviceMessage(() =>
      clients.conversations.createConversation({ parent: PARENT, conversationId: "x", conversation: { conversationProfile: humanProfile.name } }),
    );
    await expect.poll(() => page.locator("#dialog .error").textContent()).toBe(`INVALID_ARGUMENT: ${expected}`);

    await page.fill("#create-id", "made-in-console");
    await page.locator("#dialog button", { hasText: "Create" }).click();
    await expect.poll(() => page.locator("#detail-heading").textContent()).toBe("Conversation made-in-console");
    const created = await clients.conversations.getConversation({ name: `${PARENT}/conversations/made-in-console` });
    expect(created.conversationProfile).toBe(humanProfile.name);
    expect(created.lifecycleState).toBe(Conversation_LifecycleState.IN_PROGRESS);
    await expect.poll(() => rowIds(page)).toContain("made-in-console");
  });

  it("creates a conversation from the keyboard: Enter in the ID field submits the dialog", async () => {
    const page = await openConsole(`?parent=${PARENT}`);
    await expect.poll(() => rowIds(page)).toContain("call-01");
    await page.locator("#new-conversation").focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator("#dialog").isVisible()).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("create-profile");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("create-id");
    await page.keyboard.type("made-by-enter");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator("#detail-heading").textContent()).toBe("Conversation made-by-enter");
    const created = await clients.conversations.getConversation({ name: `${PARENT}/conversations/made-by-enter` });
    expect(created.lifecycleState).toBe(Conversation_LifecycleState.IN_PROGRESS);
  });

  it("cancels the New conversation dialog with its Cancel button, creating nothing", async () => {
    const page = await openConsole(`?parent=${PARENT}`);
    await expect.poll(() => rowIds(page)).toContain("call-01");
    await page.click("#new-conversation");
    await page.fill("#create-id", "never-made");
    await page.locator("#dialog button", { hasText: "Cancel" }).focus();
    await page.keyboard.press("Space");
    await expect.poll(() => page.locator("#dialog").isVisible()).toBe(false);
    const listed = await listAll(clients, PARENT);
    expect(listed.some((c) => c.name.endsWith("/never-made"))).toBe(false);
  });

  it("pages through more conversations than fit on a page", async () => {
    const parent = "projects/console-paging/locations/global";
    const profile = await createHumanProfile(clients, parent);
    for (let i = 0; i < 30; i++) await startConversation(clients, parent, profile);
    const all = (await listAll(clients, parent)).map((c) => c.name.split("/").pop());
    const page = await openConsole(`?parent=${parent}`);
    await expect.poll(() => rowIds(page)).toEqual(all.slice(0, 25));
    expect(await page.locator("#page-number").textContent()).toBe("Page 1");
    expect(await page.locator(".pager button", { hasText: "Previous" }).isDisabled()).toBe(true);
    await page.locator(".pager button", { hasText: "Next" }).click();
    await expect.poll(() => rowIds(page)).toEqual(all.slice(25));
    expect(await page.locator("#page-number").textContent()).toBe("Page 2");
    expect(await page.locator(".pager button", { hasText: "Next" }).isDisabled()).toBe(true);
    await page.locator(".pager button", { hasText: "Previous" }).click();
    await expect.poll(() => rowIds(page)).toEqual(all.slice(0, 25));
    await page.selectOption("#page-size", "50");
    await expect.poll(() => rowIds(page)).toEqual(all);
  });

  it("refreshes by itself: a conversation created through gRPC appears, with the counts", async () => {
    const parent = "projects/console-live/locations/global";
    const profile = await createHumanProfile(clients, parent);
    await startConversation(clients, parent, profile, "first-call");
    const page = await openConsole(`?parent=${parent}`);
    await expect.poll(() => rowIds(page)).toEqual(["first-call"]);
    await startConversation(clients, parent, profile, "second-call");
    await clients.conversations.completeConversation({ name: `${parent}/conversations/first-call` });
    await expect.poll(() => rowIds(page), { timeout: 15_000 }).toEqual(["second-call", "first-call"]);
    await expect.poll(() => cell(page, "first-call", "State"), { timeout: 15_000 }).toBe("Completed");
    await expect.poll(() => page.locator("#count-completed strong").textContent(), { timeout: 15_000 }).toBe("1");
    expect(await page.locator("#count-in-progress strong").textContent()).toBe("1");
  });

  it("lists profiles and shows a profile's settings", async () => {
    const page = await openConsole(`?parent=${PARENT}`);
    await page.click("#tab-profiles");
    await expect.poll(() => page.locator("#profiles tbody th a").allTextContents()).toEqual(
      expect.arrayContaining(["Virtual agent first", "Humans only", "Phone line"]),
    );
    expect(new URL(page.url()).searchParams.get("tab")).toBe("profiles");
    await page.locator("#profiles a", { hasText: "Humans only" }).click();
    await expect.poll(() => field(page, "timeZone")).toBe("Europe/Paris");
    expect(await field(page, "name")).toBe(humanProfile.name);
    await page.locator("#profiles a", { hasText: "Virtual agent first" }).click();
    await expect.poll(() => field(page, "automatedAgentConfig.agent")).toBe("projects/console-demo/agent");
    expect(await field(page, "languageCode")).toBe("en-US");
    await page.screenshot({ path: `${ARTIFACTS}console-profiles-1280x800.png` });
  });

  it("shows the service's own error message", async () => {
    const parent = "projects/Not_A_Project/locations/global";
    const expected = await serviceMessage(() => clients.conversations.listConversations({ parent }));
    const page = await openConsole(`?parent=${parent}`, undefined, true);
    await expect.poll(() => page.locator("#error").textContent()).toBe(`INVALID_ARGUMENT: ${expected}`);
  });

  it("stays readable at phone width, without sideways scrolling", async () => {
    const page = await openConsole(`?parent=${PARENT}`, { width: 390, height: 844 });
    await expect.poll(() => rowIds(page)).toContain("call-01");
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    expect(await page.locator("#conversations tbody tr").first().isVisible()).toBe(true);
    await page.screenshot({ path: `${ARTIFACTS}console-phone.png`, fullPage: true });
    // Opening a conversation brings its details (below the list here) into view.
    await page.locator('a[data-id="call-01"]').click();
    await expect.poll(() => page.locator("#detail-heading").textContent()).toBe("Conversation call-01");
    const top = await page.evaluate(() => document.getElementById("detail-heading")?.getBoundingClientRect().top ?? -1);
    expect(top).toBeGreaterThanOrEqual(0);
    expect(top).toBeLessThan(844);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await page.screenshot({ path: `${ARTIFACTS}console-phone-detail.png` });
  });
});
