import type { Browser, BrowserContext, Page } from "playwright-core";

// Opens the console in a fresh Chromium context with a fixed time zone and
// locale, collecting what would be a bug on the page (uncaught errors, CSP
// violations, failed loads) for the suite to check at the end.

export const TIME_ZONE = "Europe/Paris";
export const LOCALE = "en-GB";

export interface ConsolePages {
  open(query: string, options?: { viewport?: { width: number; height: number }; expectFailedCalls?: boolean }): Promise<Page>;
  /** Errors seen on every page opened so far. */
  readonly pageErrors: readonly string[];
  close(): Promise<void>;
}

export function consolePages(browser: () => Browser, baseUrl: () => string): ConsolePages {
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  return {
    pageErrors,
    async open(query, { viewport = { width: 1280, height: 800 }, expectFailedCalls = false } = {}) {
      const context = await browser().newContext({ viewport, timezoneId: TIME_ZONE, locale: LOCALE });
      contexts.push(context);
      const page = await context.newPage();
      page.on("pageerror", (error) => pageErrors.push(error.message));
      page.on("console", (message) => {
        const failedCall = message.text().startsWith("Failed to load resource: the server responded with a status of 4");
        if (message.type() === "error" && !(expectFailedCalls && failedCall)) pageErrors.push(message.text());
      });
      await page.goto(`${baseUrl()}/console/${query}`);
      return page;
    },
    async close() {
      for (const context of contexts) await context.close();
    },
  };
}

/** Presses Tab until the element with this id has focus: proof it is reachable from the keyboard. */
export async function tabTo(page: Page, id: string, limit = 60): Promise<void> {
  for (let presses = 0; presses < limit; presses++) {
    if ((await page.evaluate(() => document.activeElement?.id)) === id) return;
    await page.keyboard.press("Tab");
  }
  throw new Error(`#${id} not reached with ${limit} Tab presses`);
}
