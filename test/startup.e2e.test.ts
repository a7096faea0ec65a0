import { execFile } from "node:child_process";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHumanProfile } from "./support/fixtures.js";
import { startService } from "./support/service-process.js";
import { createClients } from "./support/test-server.js";

const run = promisify(execFile);

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function main(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  try {
    // The compiled service, as npm start runs it.
    const { stdout, stderr } = await run(process.execPath, ["--enable-source-maps", "dist/main.js", ...args], {
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
    await chmod(dir, 0o755); // as root, the embedded server runs as the postgres user
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

  it("starts on the embedded Postgres with nothing configured, says so at once, and keeps the data across restarts", async () => {
    const dataDir = join(dir, "embedded");
    const first = startService(["--port", "0", "--data-dir", dataDir]);
    const port = await first.serving;
    // The first line comes before the database is up, the last says where it serves.
    expect(first.lines[0]).toMatchObject({ msg: expect.stringMatching(/^starting, embedded Postgres in /), database: "embedded" });
    expect(first.lines.at(-1)).toMatchObject({ port, database: "embedded" });
    const profile = await createHumanProfile(createClients("grpc", `http://127.0.0.1:${port}`), "projects/firstrun/locations/global");
    // The export command works beside the running service, on its embedded Postgres.
    const exported = await run(process.execPath, ["dist/cli.js", "export", "--project", "firstrun", "--data-dir", dataDir], {
      env: { ...process.env, DATABASE_URL: "", TEST_DATABASE_URL: "" },
    });
    expect(JSON.parse(exported.stdout)).toMatchObject({ project: "firstrun", tables: { conversation_profiles: [{ id: profile.name.split("/").pop() }] } });
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);

    const second = startService(["--port", "0", "--data-dir", dataDir]);
    const secondPort = await second.serving;
    const clients = createClients("grpc", `http://127.0.0.1:${secondPort}`);
    expect(await clients.profiles.getConversationProfile({ name: profile.name })).toMatchObject({ displayName: profile.displayName });
    second.child.kill("SIGINT");
    expect(await second.exited).toBe(0);
  }, 60_000);

  it("refuses a second service on the same data directory with a message naming it", async () => {
    const dataDir = join(dir, "shared");
    const first = startService(["--port", "0", "--data-dir", dataDir]);
    await first.serving;
    const second = startService(["--port", "0", "--data-dir", dataDir]);
    expect(await second.exited).not.toBe(0);
    expect(second.lines.at(-1)).toMatchObject({ level: 60, msg: expect.stringContaining(`${join(dataDir, "postgres")} is already running`) });
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
  }, 60_000);

  it("starts again after being killed: the Postgres the dead service left is stopped, the data kept", async () => {
    const dataDir = join(dir, "killed");
    const first = startService(["--port", "0", "--data-dir", dataDir]);
    const port = await first.serving;
    const profile = await createHumanProfile(createClients("grpc", `http://127.0.0.1:${port}`), "projects/killed/locations/global");
    first.child.kill("SIGKILL");
    await first.exited;

    const second = startService(["--port", "0", "--data-dir", dataDir]);
    const clients = createClients("grpc", `http://127.0.0.1:${await second.serving}`);
    expect(await clients.profiles.getConversationProfile({ name: profile.name })).toMatchObject({ displayName: profile.displayName });
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  }, 60_000);
});
