import type { TestProject } from "vitest/node";
import { buildConsole, type ConsoleBundleSize } from "../../console/build.js";

// Builds the console once, as `npm run build:console` does, before any browser
// test file starts (they run in parallel and all serve dist/console/).

declare module "vitest" {
  export interface ProvidedContext {
    consoleBundle: ConsoleBundleSize;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  project.provide("consoleBundle", await buildConsole());
}
