import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClients } from "./support/test-server.js";
import { createTestDatabase, type TestDatabase } from "./support/test-database.js";

// WORKERS=2: two processes serve the one port, and SIGTERM stops both cleanly.

const postgres = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;

describe.runIf(postgres)("several workers on one port", () => {
  let testDatabase: TestDatabase;

  beforeAll(async () => {
    testDatabase = await createTestDatabase();
    await testDatabase.database.close();
  });
  afterAll(async () => {
    await testDatabase.dispose().catch(() => undefined);
  });

  it("serves calls from both workers and exits 0 on SIGTERM", async () => {
    const child = spawn(
      process.execPath,
      ["--enable-source-maps", "dist/main.js", "--port", "0", "--workers", "2", "--database-url", testDatabase.url ?? ""],
      { env: { ...process.env, DATABASE_URL: "", TEST_DATABASE_URL: "", LOG_LEVEL: "info" }, stdio: ["ignore", "pipe", "inherit"] },
    );
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const servedBy = new Set<number>();
    const serving = new Map<number, number>();
    const twoServing = new Promise<number>((resolve, reject) => {
      createInterface({ input: child.stdout }).on("line", (line) => {
        const entry = JSON.parse(line) as { pid: number; port?: number; msg: string };
        if (entry.port !== undefined) serving.set(entry.pid, entry.port);
        if (entry.msg === "rpc") servedBy.add(entry.pid);
        if (serving.size === 2) resolve([...serving.values()][0] ?? 0);
      });
      child.once("exit", () => reject(new Error("the service exited before it served")));
    });
    const port = await twoServing;
    expect(new Set(serving.values())).toEqual(new Set([port]));

    // A client per call: each call opens a connection of its own, and connections go to the workers in turn.
    for (let i = 0; i < 20 && servedBy.size < 2; i++) {
      const { profiles } = createClients("grpc", `http://127.0.0.1:${port}`);
      await profiles.listConversationProfiles({ parent: "projects/workers" });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(servedBy.size).toBe(2);

    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  }, 60_000);
});

describe.skipIf(postgres)("several workers on the embedded database", () => {
  it("is refused: the embedded database serves one process", async () => {
    const child = spawn(process.execPath, ["--enable-source-maps", "dist/main.js", "--workers", "2"], {
      env: { ...process.env, DATABASE_URL: "", TEST_DATABASE_URL: "" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/WORKERS \(--workers\): more than 1 worker needs a Postgres/);
  }, 30_000);
});

describe("several workers when the database refuses", () => {
  it("exits non-zero instead of forking workers that fail at start-up for ever", async () => {
    // Nothing listens on port 1: every worker's start-up fails the same way.
    const child = spawn(process.execPath, ["--enable-source-maps", "dist/main.js", "--workers", "2", "--port", "0", "--database-url", "postgres://postgres@127.0.0.1:1/none"], {
      env: { ...process.env, DATABASE_URL: "", TEST_DATABASE_URL: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    clearTimeout(timer);
    expect(code).not.toBe(0);
    expect(code).not.toBeNull(); // not the test's SIGKILL: it exited by itself
    expect(output).toMatch(/a worker exited before it served; stopping/);
    expect(output.match(/Cannot start/g)?.length ?? 0).toBeLessThanOrEqual(2);
  }, 30_000);
});
