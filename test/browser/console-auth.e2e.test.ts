import { createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthorizer } from "../../src/auth/authorizer.js";
import { ConversationProfiles } from "../../src/gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import { Conversations, Conversation_LifecycleState } from "../../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { TOKENS, writeTokensFile } from "../support/auth-tokens.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { launchChromium } from "./chromium.js";

// The console against a service with AUTH_TOKENS_FILE: it asks for a token
// when the service answers UNAUTHENTICATED, and shows what the token may not do.

const PARENT = "projects/alpha/locations/global";

describe("the web console with tokens required", () => {
  let tokens: Awaited<ReturnType<typeof writeTokensFile>>;
  let test: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    tokens = await writeTokensFile();
    test = await startTestServer({ authorizer: await createAuthorizer({ tokensFile: tokens.file }) });
    const bearer: Interceptor = (next) => (request) => {
      request.header.set("authorization", `Bearer ${TOKENS.root}`);
      return next(request);
    };
    const transport = createGrpcTransport({ baseUrl: test.baseUrl, interceptors: [bearer] });
    const profile = await createClient(ConversationProfiles, transport).createConversationProfile({ parent: PARENT, conversationProfile: { displayName: "Alpha line" } });
    const conversations = createClient(Conversations, transport);
    await conversations.createConversation({ parent: PARENT, conversationId: "guarded-1", conversation: { conversationProfile: profile.name } });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    expect(test?.internalErrors).toEqual([]);
    await test?.stop();
    await tokens?.dispose();
  });

  const rowIds = (page: Page) => page.locator("#conversations tbody th a").allTextContents();

  it("asks for a token once, asks again when it is refused, then sends it as a bearer token", async () => {
    const page = await browser.newPage();
    const sent: (string | undefined)[] = [];
    page.on("request", (request) => {
      if (request.url().includes("/google.cloud.dialogflow.v2.")) sent.push(request.headers().authorization);
    });
    await page.goto(`${test.baseUrl}/console/?parent=${PARENT}`);
    await expect.poll(() => page.locator("#dialog").isVisible()).toBe(true);
    expect(await page.locator("#dialog h2").textContent()).toBe("Token required");

    await page.fill("#token-input", "not-a-token");
    await page.locator("#dialog button", { hasText: "Use token" }).click();
    await expect.poll(() => page.locator("#dialog").isVisible()).toBe(true);
    await page.fill("#token-input", TOKENS.alphaReader);
    await page.locator("#dialog button", { hasText: "Use token" }).click();
    await expect.poll(() => rowIds(page)).toEqual(["guarded-1"]);
    expect(sent).toContain(`Bearer ${TOKENS.alphaReader}`);
    expect(sent).toContain(undefined);

    // A reader may look but not complete: the service's PERMISSION_DENIED is shown.
    await page.locator('a[data-id="guarded-1"]').click();
    await page.click("#complete-conversation");
    await page.locator("#dialog button", { hasText: "Complete" }).click();
    await expect.poll(() => page.locator("#error").textContent()).toMatch(/^PERMISSION_DENIED: /);
    expect(await page.locator('#detail dd[data-field="lifecycleState"]').textContent()).toBe(Conversation_LifecycleState[Conversation_LifecycleState.IN_PROGRESS]);

    // The token lasts for the tab: a reload does not ask again.
    sent.length = 0;
    await page.reload();
    await expect.poll(() => rowIds(page)).toEqual(["guarded-1"]);
    expect(await page.locator("#dialog").isVisible()).toBe(false);
    expect(sent.every((header) => header === `Bearer ${TOKENS.alphaReader}`)).toBe(true);
    await page.close();
  });

  it("uses the token when Enter is pressed in the token field", async () => {
    const page = await browser.newPage();
    await page.goto(`${test.baseUrl}/console/?parent=${PARENT}`);
    await expect.poll(() => page.locator("#dialog").isVisible()).toBe(true);
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("token-input");
    await page.keyboard.type(TOKENS.alphaReader);
    await page.keyboard.press("Enter");
    await expect.poll(() => rowIds(page)).toEqual(["guarded-1"]);
    expect(await page.locator("#dialog").isVisible()).toBe(false);
    expect(await page.locator("#error").isHidden()).toBe(true);
    await page.close();
  });

  it("shows the service's UNAUTHENTICATED message when the person declines, without asking again on refresh", async () => {
    const page = await browser.newPage();
    const listControls = ["#new-conversation", "#page-previous", "#page-next", "#find-open"];
    const disabled = () => Promise.all(listControls.map((control) => page.locator(control).isDisabled()));
    await page.goto(`${test.baseUrl}/console/?parent=${PARENT}`);
    await expect.poll(() => page.locator("#dialog").isVisible()).toBe(true);
    // Nothing that needs the list works before a token is given.
    expect(await disabled()).toEqual([true, true, true, true]);
    await page.keyboard.press("Escape");
    await expect.poll(() => page.locator("#error").textContent()).toMatch(/^UNAUTHENTICATED: /);
    expect(await disabled()).toEqual([true, true, true, true]);
    await page.waitForTimeout(6000);
    expect(await page.locator("#dialog").isVisible()).toBe(false);
    // Opening the parent again is the way back to the question.
    await page.click("#parent-form button");
    await expect.poll(() => page.locator("#dialog").isVisible()).toBe(true);
    await page.keyboard.type(TOKENS.alphaReader);
    await page.keyboard.press("Enter");
    await expect.poll(() => rowIds(page)).toEqual(["guarded-1"]);
    expect(await disabled()).toEqual([false, true, true, false]);
    await page.close();
  });
});
