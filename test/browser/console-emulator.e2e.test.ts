import { readFile } from "node:fs/promises";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHumanProfile, listAll, startConversation } from "../support/fixtures.js";
import { createClients, startTestServer, type Clients, type TestServer } from "../support/test-server.js";
import { launchChromium } from "./chromium.js";
import { consolePages, tabTo } from "./console-page.js";

// With EMULATOR_RESET on, the console erases the parent's project (after a
// confirmation), saves it as the CLI's export file and loads one back; without
// the setting it offers none of this.

const PROJECT = "console-emulator";
const PARENT = `projects/${PROJECT}/locations/global`;

describe("the console's emulator panel", () => {
  let on: TestServer;
  let off: TestServer;
  let clients: Clients;
  let browser: Browser;
  const pages = consolePages(() => browser, () => on.baseUrl);

  beforeAll(async () => {
    [on, off] = await Promise.all([startTestServer({ emulatorReset: true }), startTestServer()]);
    clients = createClients("grpc", on.baseUrl);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await pages.close();
    await browser?.close();
    for (const server of [on, off]) {
      expect(server?.internalErrors).toEqual([]);
      await server?.stop();
    }
    expect(pages.pageErrors).toEqual([]);
  });

  const rowIds = (page: Page) => page.locator("#conversations tbody th a").allTextContents();
  const status = (page: Page) => page.locator("#emulator-status").textContent();

  it("exports the project to a file, erases it after a confirmation, and imports the file back, from the keyboard", async () => {
    await startConversation(clients, PARENT, await createHumanProfile(clients, PARENT), "saved-call");
    const page = await pages.open(`?parent=${PARENT}`, { expectFailedCalls: true });
    await expect.poll(() => rowIds(page)).toEqual(["saved-call"]);
    expect(await page.locator("#emulator-heading").textContent()).toBe(`Project ${PROJECT} (emulator)`);

    await tabTo(page, "export-project");
    const [download] = await Promise.all([page.waitForEvent("download"), page.keyboard.press("Enter")]);
    expect(download.suggestedFilename()).toBe(`${PROJECT}.json`);
    const file = await download.path();
    const exported = JSON.parse(await readFile(file, "utf8")) as { project: string; tables: Record<string, unknown[]> };
    expect([exported.project, exported.tables.conversations?.length]).toEqual([PROJECT, 1]);

    await tabTo(page, "erase-project");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator("#dialog h2").textContent()).toBe("Erase this project's data");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await expect.poll(() => status(page)).toMatch(/^Erased .*1 conversations/);
    expect(await listAll(clients, PARENT)).toEqual([]);
    await expect.poll(() => page.locator("#conversations td.empty").count()).toBe(1);

    await page.setInputFiles("#import-file", file);
    await expect.poll(() => status(page)).toMatch(/^Imported .*1 conversations/);
    await expect.poll(() => rowIds(page)).toEqual(["saved-call"]);

    // Again, over the rows now there: refused as the service says, until "replacing" is ticked.
    await page.setInputFiles("#import-file", file);
    await expect.poll(() => page.locator("#error").textContent()).toMatch(/^INVALID_ARGUMENT: Import refused: /);
    await tabTo(page, "import-replace");
    await page.keyboard.press("Space");
    await page.setInputFiles("#import-file", file);
    await expect.poll(() => status(page)).toMatch(/^Imported /);
    expect((await listAll(clients, PARENT)).map((c) => c.name.split("/").pop())).toEqual(["saved-call"]);
  });

  it("cancels the erase from its dialog, erasing nothing", async () => {
    const page = await pages.open(`?parent=${PARENT}`);
    await expect.poll(() => rowIds(page)).toEqual(["saved-call"]);
    await page.click("#erase-project");
    await page.keyboard.press("Escape");
    await page.waitForTimeout(300);
    expect((await listAll(clients, PARENT)).length).toBe(1);
  });

  it("offers none of it without EMULATOR_RESET", async () => {
    const page = await browser.newPage();
    await page.goto(`${off.baseUrl}/console/?parent=${PARENT}`);
    await expect.poll(() => page.locator("#conversations").count()).toBe(1);
    await page.waitForTimeout(300);
    expect(await page.locator("#emulator:not([hidden])").count()).toBe(0);
    await page.close();
  });
});
