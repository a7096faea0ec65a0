import { execFile } from "node:child_process";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "../../src/store/embedded-postgres.js";
import { hasDockerEngine } from "./docker-engine.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The embedded Postgres every test file shares (each in a database of its own), when no other is configured. */
    embeddedPostgresUrl: string | undefined;
  }
}

// Once per run: compile the service, which the start-up tests run as users
// do (node dist/main.js), and start the embedded Postgres when the tests have
// no other server.
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await promisify(execFile)(process.execPath, ["scripts/build-server.mjs"]);
  if (process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || hasDockerEngine()) {
    project.provide("embeddedPostgresUrl", undefined);
    return async () => {};
  }
  const directory = await mkdtemp(join(tmpdir(), "conversations-tests-"));
  await chmod(directory, 0o755); // as root, the server runs as the postgres user

  const server = await startEmbeddedPostgres({ directory: join(directory, "postgres"), maxConnections: 300 });
  project.provide("embeddedPostgresUrl", server.url);
  return async () => {
    await server.stop();
    await rm(directory, { recursive: true, force: true });
  };
}
