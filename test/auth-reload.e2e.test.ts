import { spawn, type ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokensFileJson, writeTokensFile } from "./support/auth-tokens.js";
import { createTestDatabase, type TestDatabase } from "./support/test-database.js";

// The service as an operator runs it: the tokens file is read at start-up,
// re-read on SIGHUP, and a bad file never takes effect.

interface Running {
  readonly child: ChildProcess;
  readonly lines: string[];
  /** Resolves with the first log line (new or already seen) that matches. */
  waitFor(pattern: RegExp): Promise<string>;
}

function startMain(env: Record<string, string>): Running {
  const child = spawn(process.execPath, ["--enable-source-maps", "dist/main.js"], {
    env: { ...process.env, TEST_DATABASE_URL: "", PORT: "0", SWEEP_INTERVAL: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on("line", (line) => {
      lines.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.pattern.test(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    });
  }
  return {
    child,
    lines,
    waitFor(pattern) {
      const seen = lines.find((line) => pattern.test(line));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ pattern, resolve });
        child.once("exit", (code) => reject(new Error(`exited with ${code} before logging ${pattern}: ${lines.join("\n")}`)));
      });
    },
  };
}

async function stopMain(running: Running): Promise<void> {
  if (running.child.exitCode !== null) return;
  const exited = new Promise((resolve) => running.child.once("exit", resolve));
  running.child.kill("SIGTERM");
  await exited;
}

describe("tokens file at start-up and on SIGHUP", () => {
  let testDatabase: TestDatabase;
  let tokens: Awaited<ReturnType<typeof writeTokensFile>>;
  const databaseEnv = (): Record<string, string> =>
    testDatabase.url === undefined ? { DATABASE_URL: "", DATA_DIR: join(tokens.dir, "data") } : { DATABASE_URL: testDatabase.url };

  beforeAll(async () => {
    testDatabase = await createTestDatabase();
    tokens = await writeTokensFile();
  });
  afterAll(async () => {
    await testDatabase.dispose();
    await tokens.dispose();
  });

  it("stops start-up with one line naming the fault in a bad tokens file", async () => {
    const bad = join(tokens.dir, "bad.json");
    await writeFile(bad, JSON.stringify({ tokens: [{ name: "ci", sha256: "hunter2", projects: ["alpha"], role: "editor" }] }));
    const running = startMain({ ...databaseEnv(), AUTH_TOKENS_FILE: bad });
    const code = await new Promise((resolve) => running.child.once("exit", resolve));
    expect(code).toBe(2);
    expect(running.lines).toEqual([expect.stringMatching(/^Auth: tokens file .*bad\.json: tokens\[0\]\.sha256: must be the 64 hex digits/)]);
  });

  it("says in its start-up line that it runs open without a tokens file", async () => {
    const running = startMain(databaseEnv());
    try {
      const line = JSON.parse(await running.waitFor(/serving Dialogflow/)) as { msg: string; auth: string };
      expect(line.auth).toBe("open");
      expect(line.msg).toMatch(/open: no token is checked/);
    } finally {
      await stopMain(running);
    }
  });

  it("re-reads the file on SIGHUP, and keeps the old one when the new one is bad", async () => {
    const running = startMain({ ...databaseEnv(), AUTH_TOKENS_FILE: tokens.file });
    try {
      const started = JSON.parse(await running.waitFor(/serving Dialogflow/)) as { msg: string; auth: string; port: number };
      expect(started.auth).toBe("token");
      const status = async (token: string) => {
        const response = await fetch(`http://127.0.0.1:${started.port}/google.cloud.dialogflow.v2.Conversations/ListConversations`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: JSON.stringify({ parent: "projects/alpha" }),
        });
        await response.arrayBuffer();
        return response.status;
      };
      expect(await status("first-token")).toBe(401);
      expect(await status("alpha-reader-47d0aa")).toBe(200);

      await writeFile(tokens.file, tokensFileJson({ alphaReader: "first-token" }));
      running.child.kill("SIGHUP");
      await running.waitFor(/auth files reloaded/);
      expect(await status("first-token")).toBe(200);
      expect(await status("alpha-reader-47d0aa")).toBe(401);

      await writeFile(tokens.file, '{"tokens":[{"name":"x"');
      running.child.kill("SIGHUP");
      const refused = await running.waitFor(/auth reload refused/);
      expect(refused).toMatch(/tokens file .*tokens\.json: not JSON/);
      expect(await status("first-token")).toBe(200);
      expect(running.lines.join("\n")).not.toContain("first-token");
    } finally {
      await stopMain(running);
    }
  });

  it.skipIf(process.env.TEST_DATABASE_URL === undefined && process.env.DATABASE_URL === undefined)(
    "passes SIGHUP from the primary to every worker when WORKERS > 1",
    async () => {
      await writeFile(tokens.file, tokensFileJson());
      const running = startMain({ ...databaseEnv(), AUTH_TOKENS_FILE: tokens.file, WORKERS: "2" });
      try {
        const started = JSON.parse(await running.waitFor(/serving Dialogflow/)) as { port: number };
        await waitForLines(running, /serving Dialogflow/, 2);
        // A fresh connection per call (HTTP/1.1, no keep-alive) so both workers answer some of them.
        const statuses = async (token: string) => {
          const seen: number[] = [];
          for (let i = 0; i < 8; i++) {
            const response = await fetch(`http://127.0.0.1:${started.port}/google.cloud.dialogflow.v2.Conversations/ListConversations`, {
              method: "POST",
              headers: { "content-type": "application/json", authorization: `Bearer ${token}`, connection: "close" },
              body: JSON.stringify({ parent: "projects/alpha" }),
            });
            await response.arrayBuffer();
            seen.push(response.status);
          }
          return [...new Set(seen)];
        };
        expect(await statuses("second-token")).toEqual([401]);
        await writeFile(tokens.file, tokensFileJson({ alphaReader: "second-token" }));
        running.child.kill("SIGHUP");
        await waitForLines(running, /auth files reloaded/, 3);
        expect(await statuses("second-token")).toEqual([200]);
      } finally {
        await stopMain(running);
      }
    },
    60_000,
  );
});

async function waitForLines(running: Running, pattern: RegExp, count: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (running.lines.filter((line) => pattern.test(line)).length < count) {
    if (Date.now() > deadline) throw new Error(`fewer than ${count} lines matching ${pattern}: ${running.lines.join("\n")}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
