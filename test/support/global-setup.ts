import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "../../src/store/embedded-postgres.js";
import { hasDockerEngine } from "./docker-engine.js";
import { testDatabasePrefix } from "./test-database.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The embedded Postgres every test file shares (each in a database of its own), when no other is configured. */
    embeddedPostgresUrl: string | undefined;
    /** Names this run's test databases (see testDatabasePrefix). */
    testRunTag: string;
  }
}

// Once per run: compile the service, which the start-up tests run as users
// do (node dist/main.js), and start the embedded Postgres when the tests have
// no other server.
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await promisify(execFile)(process.execPath, ["scripts/build-server.mjs"]);
  const runTag = randomBytes(3).toString("hex");
  project.provide("testRunTag", runTag);
  const serverUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
  if (serverUrl || hasDockerEngine()) {
    project.provide("embeddedPostgresUrl", undefined);
    return async () => {
      if (serverUrl) await dropLeftDatabases(serverUrl, testDatabasePrefix(runTag));
    };
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

/** The shared server outlives the run: whatever test database of this run is still there goes. */
async function dropLeftDatabases(serverUrl: string, prefix: string): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    const left = await admin.query<{ datname: string }>("SELECT datname FROM pg_database WHERE starts_with(datname, $1)", [prefix]);
    for (const { datname } of left.rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    if (left.rows.length > 0) console.warn(`dropped ${left.rows.length} test database(s) a test left behind: ${left.rows.map((row) => row.datname).join(", ")}`);
  } finally {
    await admin.end();
  }
}
