import { mkdir } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Conversation } from "../../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { Participant_Role } from "../../src/gen/google/cloud/dialogflow/v2/participant_pb.js";
import { createAgentProfile, createHumanProfile, startConversation } from "../support/fixtures.js";
import { createClients, startTestServer, type Clients, type TestServer } from "../support/test-server.js";
import { launchChromium } from "./chromium.js";
import { consolePages, LOCALE, TIME_ZONE, tabTo } from "./console-page.js";

// The open conversation in the console: its participants and transcript as a
// chat, refreshed while open, a turn added from the keyboard (answered by the
// agent's webhook, a real HTTP server here), and its details grouped.

const PARENT = "projects/console-chat/locations/global";
const ARTIFACTS = new URL("../../test-results/", import.meta.url).pathname;

describe("the console's conversation transcript", () => {
  let test: TestServer;
  let clients: Clients;
  let browser: Browser;
  let webhook: Server;
  const pages = consolePages(() => browser, () => test.baseUrl);

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    webhook = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () => {
        const queryText = (JSON.parse(body) as { queryResult?: { queryText?: string } }).queryResult?.queryText ?? "";
        response.setHeader("content-type", "application/json");
        response.end(JSON.stringify({ fulfillmentText: `Webhook heard: ${queryText}` }));
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, "127.0.0.1", resolve));
    test = await startTestServer();
    clients = createClients("grpc", test.baseUrl);
    await clients.fulfillments.updateFulfillment({
      fulfillment: {
        name: "projects/console-chat/agent/fulfillment",
        enabled: true,
        fulfillment: { case: "genericWebService", value: { uri: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook` } },
      },
      updateMask: { paths: ["enabled", "generic_web_service"] },
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await pages.close();
    await browser?.close();
    await new Promise((resolve) => webhook?.close(resolve));
    expect(test?.internalErrors).toEqual([]);
    expect(pages.pageErrors).toEqual([]);
    await test?.stop();
  });

  const id = (conversation: Conversation) => conversation.name.split("/").pop() ?? "";
  const say = (participant: string, text: string) => clients.participants.analyzeContent({ participant, input: { case: "textInput", value: { text, languageCode: "en-US" } } });
  const shownTurns = (page: Page) =>
    page.locator("#transcript li").evaluateAll((items) =>
      items.map((item) => [item.getAttribute("data-role"), item.querySelector(".turn-text")?.textContent, item.querySelector("time")?.textContent]),
    );
  const clock = (timestamp: Timestamp | undefined) =>
    timestamp === undefined ? undefined : new Intl.DateTimeFormat(LOCALE, { timeStyle: "medium", timeZone: TIME_ZONE }).format(timestampDate(timestamp));
  /** The transcript as ListMessages has it, oldest first: [role, text]. */
  const stored = async (conversation: Conversation) =>
    (await clients.conversations.listMessages({ parent: conversation.name })).messages.reverse().map((m) => [Participant_Role[m.participantRole], m.content]);

  it("shows the participants and the turns added through the API, oldest first, with roles and local times", async () => {
    const conversation = await startConversation(clients, PARENT, await createHumanProfile(clients, PARENT));
    const caller = await clients.participants.createParticipant({ parent: conversation.name, participant: { role: Participant_Role.END_USER } });
    const agent = await clients.participants.createParticipant({ parent: conversation.name, participant: { role: Participant_Role.HUMAN_AGENT } });
    await say(caller.name, "My order never arrived");
    await say(agent.name, "Let me check");
    await say(caller.name, "Thanks");
    const page = await pages.open(`?parent=${PARENT}&open=${id(conversation)}`);

    const messages = (await clients.conversations.listMessages({ parent: conversation.name })).messages.reverse();
    await expect.poll(() => shownTurns(page)).toEqual(messages.map((m) => [Participant_Role[m.participantRole], m.content, clock(m.createTime)]));
    expect(messages.map((m) => m.content)).toEqual(["My order never arrived", "Let me check", "Thanks"]);
    expect(await page.locator("#transcript li").first().getAttribute("class")).toContain("from-user");
    expect(await page.locator("#transcript li").nth(1).getAttribute("class")).toContain("from-agent");
    expect(await page.locator("#transcript li .turn-participant").first().textContent()).toBe(caller.name.split("/").pop());
    expect(await page.locator("#participants li").allInnerTexts()).toEqual([
      `End user ${caller.name.split("/").pop()}`,
      `Human agent ${agent.name.split("/").pop()}`,
    ]);
    expect(await page.locator("#transcript").getAttribute("role")).toBe("log");
    await page.screenshot({ path: `${ARTIFACTS}console-transcript-1280x800.png`, fullPage: true });
  });

  it("refreshes the transcript while the conversation is open, and stops asking once it is closed", async () => {
    const conversation = await startConversation(clients, PARENT, await createHumanProfile(clients, PARENT));
    const page = await pages.open(`?parent=${PARENT}&open=${id(conversation)}`);
    await expect.poll(() => page.locator("#transcript-empty").isVisible()).toBe(true);
    const caller = await clients.participants.createParticipant({ parent: conversation.name, participant: { role: Participant_Role.END_USER } });
    await say(caller.name, "Hello?");
    await expect.poll(() => shownTurns(page), { timeout: 15_000 }).toEqual([["END_USER", "Hello?", expect.any(String)]]);
    await expect.poll(() => page.locator("#participants li").count()).toBe(1);
    await say(caller.name, "Anyone there?");
    await expect.poll(() => shownTurns(page).then((turns) => turns.map((turn) => turn[1])), { timeout: 15_000 }).toEqual(["Hello?", "Anyone there?"]);

    let asked = 0;
    page.on("request", (request) => {
      if (request.url().endsWith("/ListMessages")) asked++;
    });
    await page.click("#detail-close");
    await page.waitForTimeout(6000);
    expect(asked).toBe(0);
  });

  it("adds a turn from the keyboard as a new end user, and shows the virtual agent's reply", async () => {
    const conversation = await startConversation(clients, PARENT, await createAgentProfile(clients, PARENT));
    const page = await pages.open(`?parent=${PARENT}&open=${id(conversation)}`);
    await expect.poll(() => page.locator("#transcript-empty").isVisible()).toBe(true);
    await tabTo(page, "turn-participant");
    expect(await page.inputValue("#turn-participant")).toBe("");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("turn-role");
    expect(await page.inputValue("#turn-role")).toBe("END_USER");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("turn-text");
    await page.keyboard.type("where is my order");
    await page.keyboard.press("Enter");

    await expect.poll(() => page.locator("#turn-status").textContent()).toBe("Virtual agent: Webhook heard: where is my order");
    expect(await stored(conversation)).toEqual([
      ["END_USER", "where is my order"],
      ["AUTOMATED_AGENT", "Webhook heard: where is my order"],
    ]);
    await expect.poll(() => shownTurns(page).then((turns) => turns.map((turn) => turn.slice(0, 2)))).toEqual([
      ["END_USER", "where is my order"],
      ["AUTOMATED_AGENT", "Webhook heard: where is my order"],
    ]);
    // The new participant is now the one the next turn is sent as; the text field is ready for it.
    const [participant] = (await clients.participants.listParticipants({ parent: conversation.name })).participants;
    expect(participant?.role).toBe(Participant_Role.END_USER);
    expect(await page.inputValue("#turn-participant")).toBe(participant?.name);
    expect(await page.isHidden("#turn-role")).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("turn-text");
    expect(await page.inputValue("#turn-text")).toBe("");
  });

  it("adds turns as a new human agent and then as that participant, with Space on Send; a completed conversation takes no more", async () => {
    const conversation = await startConversation(clients, PARENT, await createHumanProfile(clients, PARENT));
    const page = await pages.open(`?parent=${PARENT}&open=${id(conversation)}`);
    await expect.poll(() => page.locator("#transcript-empty").isVisible()).toBe(true);
    await tabTo(page, "turn-role");
    await page.keyboard.press("ArrowDown");
    expect(await page.inputValue("#turn-role")).toBe("HUMAN_AGENT");
    await page.keyboard.press("Tab");
    await page.keyboard.type("Good morning");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("turn-send");
    await page.keyboard.press("Space");
    await expect.poll(() => stored(conversation)).toEqual([["HUMAN_AGENT", "Good morning"]]);
    await expect.poll(() => page.locator("#turn-status").textContent()).toBe("Sent.");

    await page.locator("#turn-text").focus();
    await page.keyboard.type("How can I help?");
    await page.keyboard.press("Enter");
    await expect.poll(() => stored(conversation)).toEqual([["HUMAN_AGENT", "Good morning"], ["HUMAN_AGENT", "How can I help?"]]);
    const participants = (await clients.participants.listParticipants({ parent: conversation.name })).participants;
    expect(participants.map((p) => p.role)).toEqual([Participant_Role.HUMAN_AGENT]);
    await expect.poll(() => shownTurns(page).then((turns) => turns.map((turn) => turn[1]))).toEqual(["Good morning", "How can I help?"]);

    await clients.conversations.completeConversation({ name: conversation.name });
    await expect.poll(() => page.locator("#turn-send").isDisabled(), { timeout: 15_000 }).toBe(true);
    expect(await page.locator("#turn-text").isDisabled()).toBe(true);
  });

  it("shows the service's error when a turn is refused, and stores nothing", async () => {
    const conversation = await startConversation(clients, PARENT, await createHumanProfile(clients, PARENT));
    const page = await pages.open(`?parent=${PARENT}&open=${id(conversation)}`, { expectFailedCalls: true });
    await expect.poll(() => page.locator("#transcript-empty").isVisible()).toBe(true);
    await page.fill("#turn-text", "   ");
    await page.press("#turn-text", "Enter");
    await expect.poll(() => page.locator("#turn-status").textContent()).toMatch(/^INVALID_ARGUMENT: .*text/);
    expect(await stored(conversation)).toEqual([]);
  });

  it("groups the details: a summary first, the profile snapshot and context references collapsed, opened from the keyboard", async () => {
    const conversation = await startConversation(clients, PARENT, await createHumanProfile(clients, PARENT));
    const page = await pages.open(`?parent=${PARENT}&open=${id(conversation)}`);
    await expect.poll(() => page.locator('#detail dd[data-field="lifecycleState"]').textContent()).toBe("IN_PROGRESS");
    const summary = await page.locator("#detail .detail-fields > dl.fields > dt").allTextContents();
    expect(summary).toEqual(expect.arrayContaining(["name", "lifecycleState", "conversationStage", "conversationProfile", "startTime", "endTime"]));
    expect(summary.some((path) => path.startsWith("initialConversationProfile"))).toBe(false);
    const groups = await page.locator("#detail details.field-group > summary").allInnerTexts();
    expect(groups).toEqual(expect.arrayContaining([expect.stringMatching(/^Profile snapshot \(\d+ fields\)$/), "Context references (not set)"]));
    const snapshot = page.locator('#detail details[data-group="initialConversationProfile"]');
    expect(await snapshot.evaluate((details) => (details as HTMLDetailsElement).open)).toBe(false);
    expect(await page.locator('#detail dd[data-field="initialConversationProfile.displayName"]').isVisible()).toBe(false);

    await tabTo(page, "group-initialConversationProfile");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator('#detail dd[data-field="initialConversationProfile.displayName"]').isVisible()).toBe(true);
    expect(await page.locator('#detail dd[data-field="initialConversationProfile.displayName"]').textContent()).toBe("Humans only");
    // A refresh (every 5 s) leaves it open and the focus where it was.
    await page.waitForResponse((response) => response.url().endsWith("/GetConversation"));
    await page.waitForTimeout(300);
    expect(await snapshot.evaluate((details) => (details as HTMLDetailsElement).open)).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("group-initialConversationProfile");
    await page.keyboard.press("Space");
    await expect.poll(() => snapshot.evaluate((details) => (details as HTMLDetailsElement).open)).toBe(false);
  });

  it("stays readable at phone width with a transcript, without sideways scrolling", async () => {
    const conversation = await startConversation(clients, PARENT, await createHumanProfile(clients, PARENT));
    const caller = await clients.participants.createParticipant({ parent: conversation.name, participant: { role: Participant_Role.END_USER } });
    await say(caller.name, "A fairly long sentence that has to wrap on a narrow phone screen, with a long-word-without-spaces-like-an-order-number-0123456789");
    const page = await pages.open(`?parent=${PARENT}&open=${id(conversation)}`, { viewport: { width: 390, height: 844 } });
    await expect.poll(() => page.locator("#transcript li").count()).toBe(1);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    expect(await page.locator("#turn-send").isVisible()).toBe(true);
    await page.locator("#transcript").scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${ARTIFACTS}console-transcript-phone.png`, fullPage: true });
  });
});
