import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function main(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "src/main.ts", ...args], {
      env: { ...process.env, DATABASE_URL: "", TEST_DATABASE_URL: "", ...env },
      timeout: 20_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

// What an operator sees when starting the service wrongly.
describe("start-up", () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "conversations-startup-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("lists every setting with its default on --help", async () => {
    const outcome = await main(["--help"]);
    expect(outcome.code).toBe(0);
    for (const name of ["PORT", "DATABASE_URL", "CONVERSATION_TTL", "SWEEP_INTERVAL", "BOOTSTRAP_FILE", "CORS_ORIGINS", "SHUTDOWN_GRACE"]) {
      expect(outcome.stdout).toContain(name);
    }
  });

  it("stops with one line naming the setting when a value is invalid", async () => {
    const outcome = await main([], { PORT: "eighty", DATABASE_URL: "postgres://user:hunter2@db/x" });
    expect(outcome.code).toBe(2);
    expect(outcome.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^Configuration error: PORT \(--port\): "eighty" is not a port/)]);
    expect(outcome.stderr).not.toContain("hunter2");
  });

  it("stops with one line naming the JSON path when the bootstrap file is wrong", async () => {
    const file = join(dir, "bootstrap.json");
    await writeFile(file, JSON.stringify({ conversationProfiles: [{ parent: "projects/p", id: "line", displayName: "Line", phoneNumbers: ["555-0100"] }] }));
    const outcome = await main(["--bootstrap", file, "--data-dir", join(dir, "data")]);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr.trim()).toMatch(/^Bootstrap file .*: \$\.conversationProfiles\[0\]\.phoneNumbers\[0\] "555-0100" is not an E\.164 number/);
  });
});
