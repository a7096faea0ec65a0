import { randomBytes } from "node:crypto";
import pg from "pg";
import { expect, inject } from "vitest";
import type { Database } from "../../src/store/database.js";
import { createPostgresDatabase } from "../../src/store/postgres-database.js";
import { hasDockerEngine } from "./docker-engine.js";

// Where the test Postgres comes from, in order: a URL from the environment,
// a throwaway container when a Docker engine answers, else the embedded
// Postgres that the global setup started for the run. Each caller gets a
// database of its own, so test files run in parallel.

export interface TestDatabase {
  readonly database: Database;
  /** Set when the database is a real server: the URL of this test's own database. */
  readonly url: string | undefined;
  dispose(): Promise<void>;
}

let containerUrl: Promise<string | undefined> | undefined;

export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || (await dockerPostgresUrl()) || inject("embeddedPostgresUrl");
  if (serverUrl === undefined) throw new Error("no Postgres for the tests: the global setup (test/support/global-setup.ts) did not run");
  const name = `${testDatabasePrefix(inject("testRunTag"))}${testFileSlug()}_${randomBytes(4).toString("hex")}`;
  await withAdmin(serverUrl, (admin) => admin.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = createPostgresDatabase({ url: url.toString(), maxConnections: 60 });
  return {
    database,
    url: url.toString(),
    async dispose() {
      // Dropped even when the pool was closed already (tests that hand the URL to a child process
      // close it early) or will not close: FORCE ends whatever connections are left.
      await database.close().catch(() => undefined);
      await withAdmin(serverUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/**
 * Every database a run creates starts with this, so the run's teardown can drop any that a test
 * left behind (a file that timed out before its afterAll, a worker that crashed).
 */
export function testDatabasePrefix(runTag: string): string {
  return `test_${runTag}_`;
}

// The test file's name, so a database left behind says which file made it.
function testFileSlug(): string {
  const file = (expect.getState().testPath ?? "").split("/").pop() ?? "";
  return file.replace(/\.test\.ts$/, "").replace(/[^a-z0-9]+/gi, "_").toLowerCase().slice(0, 32);
}

export function describeTestDatabase(): string {
  if (process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL) return "Postgres from the environment";
  return hasDockerEngine() ? "Postgres in a container" : "embedded Postgres";
}

async function withAdmin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function dockerPostgresUrl(): Promise<string | undefined> {
  if (!hasDockerEngine()) return undefined;
  containerUrl ??= (async () => {
    try {
      const { PostgreSqlContainer } = await import("@testcontainers/postgresql");
      const container = await new PostgreSqlContainer("postgres:16-alpine").start();
      return container.getConnectionUri();
    } catch {
      return undefined; // A socket without a working engine behind it.
    }
  })();
  return containerUrl;
}
