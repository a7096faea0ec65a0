import { defineConfig } from "vitest/config";

// The browser test needs Chromium (/usr/bin/chromium), so it runs on its own: npm run test:browser.
export default defineConfig({
  test: {
    include: ["test/browser/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
