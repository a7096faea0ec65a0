import { toJson } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConversationSchema, type Conversation } from "../../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { createHumanProfile, startConversation } from "../support/fixtures.js";
import { createClients, startTestServer, type Clients, type TestServer } from "../support/test-server.js";
import { launchChromium } from "./chromium.js";
import { consolePages, tabTo } from "./console-page.js";

// The open conversation's panel: the profile by its display name, the
// duration, Copy as JSON (clipboard, its fallback, and the text to copy by
// hand), opening a conversation by its ID, and the list's controls disabled
// while the parent's list does not answer.

const PARENT = "projects/console-panel/locations/global";

describe("the console's conversation panel", () => {
  let test: TestServer;
  let clients: Clients;
  let browser: Browser;
  const pages = consolePages(() => browser, () => test.baseUrl);

  beforeAll(async () => {
    test = await startTestServer();
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

  const id = (conversation: Conversation) => conversation.name.split("/").pop() ?? "";
  const text = (page: Page, selector: string) => page.locator(selector).textContent();
  const openWithClipboard = async (query: string) => {
    const page = await pages.open(query);
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: test.baseUrl });
    return page;
  };

  it("shows the profile's display name and the duration, so far while running and start to end once completed", async () => {
    const profile = await createHumanProfile(clients, PARENT);
    const conversation = await startConversation(clients, PARENT, profile);
    const page = await pages.open(`?parent=${PARENT}&open=${id(conversation)}`);
    await expect.poll(() => text(page, "#fact-profile")).toBe(`Humans only (${profile.name.split("/").pop()})`);
    expect(await text(page, "#fact-duration")).toMatch(/^\d+ s so far$/);

    const completed = await clients.conversations.completeConversation({ name: conversation.name });
    const seconds = Math.floor((timestampDate(completed.endTime!).getTime() - timestampDate(completed.startTime!).getTime()) / 1000);
    await expect.poll(() => text(page, "#fact-duration"), { timeout: 15_000 }).toBe(`${seconds} s`);
  });

  it("copies the conversation as proto3 JSON from the keyboard", async () => {
    const conversation = await startConversation(clients, PARENT, await createHumanProfile(clients, PARENT));
    const page = await openWithClipboard(`?parent=${PARENT}&open=${id(conversation)}`);
    await expect.poll(() => text(page, "#fact-profile")).toContain("Humans only");
    await tabTo(page, "copy-json");
    await page.keyboard.press("Enter");
    await expect.poll(() => text(page, "#detail-status")).toBe("Copied the conversation as JSON.");
    const copied = JSON.parse(await page.evaluate(() => navigator.clipboard.readText())) as unknown;
    const stored = await clients.conversations.getConversation({ name: conversation.name });
    expect(copied).toEqual(toJson(ConversationSchema, stored));
  });

  it("copies through a selected text area where the clipboard API is missing", async () => {
    const conversation = await startConversation(clients, PARENT, await createHumanProfile(clients, PARENT));
    const page = await openWithClipboard(`?parent=${PARENT}&open=${id(conversation)}`);
    await expect.poll(() => text(page, "#fact-profile")).toContain("Humans only");
    await page.evaluate(() => {
      const reader = navigator.clipboard;
      (window as unknown as { reader: Clipboard }).reader = reader;
      Object.defineProperty(Navigator.prototype, "clipboard", { get: () => undefined, configurable: true });
    });
    await page.locator("#copy-json").focus();
    await page.keyboard.press("Space");
    await expect.poll(() => text(page, "#detail-status")).toBe("Copied the conversation as JSON.");
    const copied = await page.evaluate(() => (window as unknown as { reader: Clipboard }).reader.readText());
    expect((JSON.parse(copied) as { name: string }).name).toBe(conversation.name);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("copy-json");
  });

  it("shows the JSON selected, to copy by hand, when the browser refuses both ways", async () => {
    const conversation = await startConversation(clients, PARENT, await createHumanProfile(clients, PARENT));
    const page = await pages.open(`?parent=${PARENT}&open=${id(conversation)}`);
    await expect.poll(() => text(page, "#fact-profile")).toContain("Humans only");
    await page.evaluate(() => {
      Object.defineProperty(Navigator.prototype, "clipboard", { get: () => undefined, configurable: true });
      document.execCommand = () => false;
    });
    await page.locator("#copy-json").focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator("#dialog-text").isVisible()).toBe(true);
    const shown = await page.inputValue("#dialog-text");
    expect((JSON.parse(shown) as { name: string }).name).toBe(conversation.name);
    expect(await page.evaluate(() => { const area = document.getElementById("dialog-text") as HTMLTextAreaElement; return area.selectionEnd - area.selectionStart; })).toBe(shown.length);
    await page.keyboard.press("Escape");
    await expect.poll(() => page.locator("#dialog").isVisible()).toBe(false);
  });

  it("opens a conversation by its ID typed into the search, and says plainly when there is none", async () => {
    const conversation = await startConversation(clients, PARENT, await createHumanProfile(clients, PARENT), "find-me-1");
    const page = await pages.open(`?parent=${PARENT}`, { expectFailedCalls: true });
    await expect.poll(() => page.locator("#find-id").isEnabled()).toBe(true);
    await tabTo(page, "find-id");
    await page.keyboard.type("no-such-call");
    await page.keyboard.press("Enter");
    await expect.poll(() => text(page, "#find-status")).toBe(`No conversation with ID no-such-call under ${PARENT}.`);
    expect(await page.isHidden("#detail")).toBe(true);

    await page.fill("#find-id", conversation.name);
    await page.keyboard.press("Enter");
    await expect.poll(() => text(page, "#detail-heading")).toBe("Conversation find-me-1");
    expect(await page.evaluate(() => location.search)).toContain("open=find-me-1");
    expect(await page.isHidden("#find-status")).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("detail-heading");
  });

  it("disables Previous, Next, New conversation and the search while the parent is not valid", async () => {
    const page = await pages.open("?parent=projects/Not A Parent", { expectFailedCalls: true });
    await expect.poll(() => text(page, "#error")).toMatch(/^INVALID_ARGUMENT: /);
    for (const control of ["#new-conversation", "#page-previous", "#page-next", "#find-id", "#find-open"]) {
      expect(await page.locator(control).isDisabled(), control).toBe(true);
    }
    await page.fill("#parent-input", PARENT);
    await page.press("#parent-input", "Enter");
    await expect.poll(() => page.locator("#new-conversation").isEnabled()).toBe(true);
    expect(await page.locator("#find-open").isEnabled()).toBe(true);
    expect(await page.locator("#page-previous").isDisabled()).toBe(true);
  });
});
