import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHumanProfile, startConversation } from "./support/fixtures.js";
import { createClients } from "./support/test-server.js";
import { createTestDatabase, type TestDatabase } from "./support/test-database.js";

// The real service as a child process: SIGTERM in the middle of a burst must
// lose none of the calls it acknowledged, and the process must exit 0.

describe("graceful shutdown", () => {
  let testDatabase: TestDatabase;
  let url: string;

  beforeAll(async () => {
    // A database of its own, which the service (a child process) connects to by URL.
    testDatabase = await createTestDatabase();
    await testDatabase.database.close();
    url = testDatabase.url ?? "";
  });
  afterAll(async () => {
    await testDatabase.dispose().catch(() => undefined);
  });

  it("finishes in-flight calls, loses no acknowledged one, and exits 0 on SIGTERM", async () => {
    // The compiled service, as npm start runs it.
    const child = spawn(process.execPath, ["--enable-source-maps", "dist/main.js", "--port", "0", "--database-url", url], {
      env: { ...process.env, DATABASE_URL: "", TEST_DATABASE_URL: "" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const port = await new Promise<number>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout });
      lines.on("line", (line) => {
        const entry = JSON.parse(line) as { port?: number };
        if (entry.port !== undefined) resolve(entry.port);
      });
      child.once("exit", () => reject(new Error("the service exited before it served")));
    });

    const clients = createClients("grpc", `http://127.0.0.1:${port}`);
    const parent = "projects/shutdown/locations/global";
    const profile = await createHumanProfile(clients, parent);
    const acknowledged: string[] = [];
    let failures = 0;
    let signalled = false;
    const worker = async (worker: number) => {
      for (let i = 0; i < 40; i++) {
        try {
          const conversation = await startConversation(clients, parent, profile, `w${worker}-c${i}`);
          acknowledged.push(conversation.name);
        } catch {
          failures++;
        }
        if (!signalled && acknowledged.length >= 60) {
          signalled = true;
          child.kill("SIGTERM");
        }
      }
    };
    await Promise.all(Array.from({ length: 10 }, (_, i) => worker(i)));
    expect(signalled).toBe(true);
    expect(await exited).toBe(0);
    expect(acknowledged.length).toBeGreaterThanOrEqual(60);
    expect(failures).toBeGreaterThan(0); // calls after the signal were refused, not queued forever

    const ids = acknowledged.map((name) => name.split("/").pop());
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const stored = (await client.query<{ id: string }>("SELECT id FROM conversations WHERE project = 'shutdown'")).rows.map((r) => r.id);
    await client.end();
    for (const id of ids) expect(stored).toContain(id);
  }, 60_000);
});
