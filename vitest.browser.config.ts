import { defineConfig } from "vitest/config";

// The browser tests need Chromium (/usr/bin/chromium) and Firefox ESR, so they run on their own: npm run test:browser.
export default defineConfig({
  test: {
    include: ["test/browser/**/*.test.ts"],
    // The embedded Postgres (when no other is configured) and the console bundle.
    globalSetup: ["test/support/global-setup.ts", "test/browser/build-console.ts"],
    // The Firefox test talks WebDriver BiDi over WebSocket, global from Node 22 on.
    execArgv: typeof WebSocket === "undefined" ? ["--experimental-websocket"] : [],
    // Pages answer in milliseconds alone, in seconds on a busy CI machine.
    expect: { poll: { timeout: 10_000 } },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
