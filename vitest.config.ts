import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Needs Chromium; run by `npm run test:browser` (and .ci/run).
    exclude: ["test/browser/**"],
    // Compiles the service and starts the embedded Postgres when no other is configured.
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
