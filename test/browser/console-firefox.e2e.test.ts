import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Conversation_LifecycleState } from "../../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { createHumanProfile, startConversation } from "../support/fixtures.js";
import { createClients, startTestServer, type Clients, type TestServer } from "../support/test-server.js";
import { Participant_Role } from "../../src/gen/google/cloud/dialogflow/v2/participant_pb.js";
import { FIREFOX, KEYS, openFirefox, type FirefoxPage } from "./firefox-bidi.js";

// The console in Firefox: the same page, a different engine (dialog, :has(),
// Intl, Connect-Web's fetch). Runs where Firefox ESR is installed (.ci/run installs it).

const PARENT = "projects/console-firefox/locations/global";

describe.skipIf(!existsSync(FIREFOX))("the web console in Firefox", () => {
  let test: TestServer;
  let clients: Clients;
  let page: FirefoxPage;

  beforeAll(async () => {
    // Reset on, for the emulator panel (its test erases a project of its own).
    test = await startTestServer({ emulatorReset: true });
    clients = createClients("grpc", test.baseUrl);
    const profile = await createHumanProfile(clients, PARENT);
    for (const id of ["fox-1", "fox-2", "fox-3"]) await startConversation(clients, PARENT, profile, id);
    const chat = await startConversation(clients, PARENT, profile, "fox-chat");
    const caller = await clients.participants.createParticipant({ parent: chat.name, participant: { role: Participant_Role.END_USER } });
    const agent = await clients.participants.createParticipant({ parent: chat.name, participant: { role: Participant_Role.HUMAN_AGENT } });
    for (const [participant, text] of [[caller, "Hello"], [agent, "Hi, how can I help?"]] as const) {
      await clients.participants.analyzeContent({ participant: participant.name, input: { case: "textInput", value: { text, languageCode: "en-US" } } });
    }
    page = await openFirefox({ width: 1280, height: 800 });
  });
  afterAll(async () => {
    await page?.close();
    expect(test?.internalErrors).toEqual([]);
    await test?.stop();
  });

  const rowIds = () => page.evaluate<string[]>(`[...document.querySelectorAll("#conversations tbody th a")].map((a) => a.textContent)`);
  const field = (path: string) => page.evaluate<string | null>(`document.querySelector('#detail dd[data-field="${path}"]')?.textContent ?? null`);

  it("lists, opens, completes after confirmation and filters", async () => {
    await page.navigate(`${test.baseUrl}/console/?parent=${PARENT}`);
    await expect.poll(rowIds).toEqual(["fox-chat", "fox-3", "fox-2", "fox-1"]);
    await expect.poll(() => page.evaluate(`document.querySelector("#count-in-progress strong")?.textContent`)).toBe("4");

    await page.evaluate(`document.querySelector('a[data-id="fox-2"]').click()`);
    await expect.poll(() => field("lifecycleState")).toBe("IN_PROGRESS");
    expect(await page.evaluate(`document.activeElement.id`)).toBe("detail-heading");
    await page.evaluate(`document.getElementById("complete-conversation").click()`);
    expect(await page.evaluate(`document.getElementById("dialog").open`)).toBe(true);
    await page.evaluate(`[...document.querySelectorAll("#dialog button")].find((b) => b.textContent === "Complete").click()`);
    await expect.poll(() => field("lifecycleState")).toBe("COMPLETED");
    const stored = await clients.conversations.getConversation({ name: `${PARENT}/conversations/fox-2` });
    expect(stored.lifecycleState).toBe(Conversation_LifecycleState.COMPLETED);

    await page.evaluate(`(() => { const s = document.getElementById("filter-state"); s.value = "COMPLETED"; s.dispatchEvent(new Event("change")); })()`);
    await expect.poll(rowIds).toEqual(["fox-2"]);
    expect(await page.evaluate(`location.search`)).toContain("state=COMPLETED");
  });

  const turns = () => page.evaluate<string[][]>(`[...document.querySelectorAll("#transcript li")].map((li) => [li.dataset.role, li.querySelector(".turn-text").textContent])`);

  it("shows the transcript oldest first and adds a turn typed into the form, sent with Enter", async () => {
    await page.navigate(`${test.baseUrl}/console/?parent=${PARENT}&open=fox-chat`);
    await expect.poll(turns).toEqual([["END_USER", "Hello"], ["HUMAN_AGENT", "Hi, how can I help?"]]);
    await page.evaluate(`document.getElementById("turn-text").focus()`);
    await page.type(`My parcel is late${KEYS.enter}`);
    await expect.poll(turns).toEqual([["END_USER", "Hello"], ["HUMAN_AGENT", "Hi, how can I help?"], ["END_USER", "My parcel is late"]]);
    const stored = await clients.conversations.listMessages({ parent: `${PARENT}/conversations/fox-chat` });
    expect(stored.messages[0]?.content).toBe("My parcel is late");
    expect(stored.messages[0]?.participantRole).toBe(Participant_Role.END_USER);
  });

  it("shows the profile's display name and duration, copies as JSON, and opens a conversation by the ID typed into the search", async () => {
    await page.navigate(`${test.baseUrl}/console/?parent=${PARENT}&open=fox-1`);
    await expect.poll(() => page.evaluate(`document.getElementById("fact-profile")?.textContent`)).toMatch(/^Humans only \(/);
    expect(await page.evaluate(`document.getElementById("fact-duration").textContent`)).toMatch(/^\d+ (s|min \d\d s) so far$/);
    // Reading Firefox's clipboard needs a permission BiDi does not grant: the text handed to it is captured
    // instead. A click, not a key: ESR's BiDi key actions on a focused button carry no key value, so they do
    // not activate it (Chromium's test presses Enter and Space on it).
    await page.evaluate(`(() => { navigator.clipboard.writeText = (text) => { window.copied = text; return Promise.resolve(); }; document.getElementById("copy-json").click(); })()`);
    await expect.poll(() => page.evaluate(`document.getElementById("detail-status").textContent`)).toBe("Copied the conversation as JSON.");
    expect(await page.evaluate(`JSON.parse(window.copied).name`)).toBe(`${PARENT}/conversations/fox-1`);

    await page.evaluate(`document.getElementById("find-id").focus()`);
    await page.type(`nobody${KEYS.enter}`);
    await expect.poll(() => page.evaluate(`document.getElementById("find-status").textContent`)).toBe(`No conversation with ID nobody under ${PARENT}.`);
    await page.evaluate(`(() => { const input = document.getElementById("find-id"); input.value = ""; input.focus(); })()`);
    await page.type(`fox-3${KEYS.enter}`);
    await expect.poll(() => page.evaluate(`document.getElementById("detail-heading")?.textContent`)).toBe("Conversation fox-3");
  });

  it("disables New conversation and paging while the parent is not valid", async () => {
    await page.navigate(`${test.baseUrl}/console/?parent=projects/NOT%20VALID`);
    await expect.poll(() => page.evaluate(`document.getElementById("error").textContent`)).toMatch(/^INVALID_ARGUMENT: /);
    expect(await page.evaluate(`["new-conversation", "page-previous", "page-next", "find-open"].map((id) => document.getElementById(id).disabled)`)).toEqual([true, true, true, true]);
  });

  it("creates a profile with Enter in its dialog, and shows FAILED_PRECONDITION when deleting one in use", async () => {
    await page.navigate(`${test.baseUrl}/console/?parent=${PARENT}&tab=profiles`);
    await expect.poll(() => page.evaluate(`document.querySelectorAll("#profiles tbody th a").length`)).toBe(1);
    await page.evaluate(`document.getElementById("new-profile").click()`);
    await page.evaluate(`document.getElementById("profile-displayName").focus()`);
    await page.type(`Fox line${KEYS.enter}`);
    await expect.poll(() => page.evaluate(`document.getElementById("detail-heading")?.textContent`)).toBe("Fox line");
    const all = (await clients.profiles.listConversationProfiles({ parent: PARENT })).conversationProfiles;
    expect(all.map((p) => p.displayName).sort()).toEqual(["Fox line", "Humans only"]);

    const busy = all.find((p) => p.displayName === "Humans only")?.name.split("/").pop();
    await page.navigate(`${test.baseUrl}/console/?parent=${PARENT}&tab=profiles&open=${busy}`);
    await expect.poll(() => page.evaluate(`document.getElementById("fact-conversations")?.textContent`)).toMatch(/^\d+$/);
    await page.evaluate(`document.getElementById("delete-profile").click()`);
    await page.evaluate(`[...document.querySelectorAll("#dialog button")].find((b) => b.textContent === "Delete").click()`);
    await expect.poll(() => page.evaluate(`document.getElementById("error").textContent`)).toMatch(/^FAILED_PRECONDITION: /);
  });

  it("creates a conversation when Enter is pressed in the New conversation dialog", async () => {
    await page.navigate(`${test.baseUrl}/console/?parent=${PARENT}`);
    await expect.poll(rowIds).toContain("fox-1");
    await page.evaluate(`document.getElementById("new-conversation").click()`);
    await page.evaluate(`document.getElementById("create-id").focus()`);
    await page.type(`fox-enter${KEYS.enter}`);
    await expect.poll(() => page.evaluate(`document.getElementById("detail-heading")?.textContent`)).toBe("Conversation fox-enter");
    const created = await clients.conversations.getConversation({ name: `${PARENT}/conversations/fox-enter` });
    expect(created.lifecycleState).toBe(Conversation_LifecycleState.IN_PROGRESS);
  });

  it("erases the parent's project after a confirmation, with EMULATOR_RESET on", async () => {
    const parent = "projects/console-firefox-erase/locations/global";
    await startConversation(clients, parent, await createHumanProfile(clients, parent), "to-erase");
    await page.navigate(`${test.baseUrl}/console/?parent=${parent}`);
    await expect.poll(rowIds).toEqual(["to-erase"]);
    expect(await page.evaluate(`document.getElementById("emulator-heading").textContent`)).toBe("Project console-firefox-erase (emulator)");
    await page.evaluate(`document.getElementById("erase-project").click()`);
    await page.evaluate(`[...document.querySelectorAll("#dialog button")].find((b) => b.textContent === "Erase").click()`);
    await expect.poll(() => page.evaluate(`document.getElementById("emulator-status").textContent`)).toMatch(/^Erased /);
    await expect.poll(rowIds).toEqual([]);
    expect((await clients.conversations.listConversations({ parent })).conversations).toEqual([]);
  });
});
