import { randomBytes } from "node:crypto";
import { Code } from "@connectrpc/connect";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConversationProfile } from "../src/gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import { ErrorInfoSchema } from "../src/gen/google/rpc/error_details_pb.js";
import { Conversation_LifecycleState as LifecycleState } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { failureOf } from "./support/errors.js";
import { startCallBurst, type BurstOutcome } from "./support/call-burst.js";
import { createHumanProfile, listAll, startConversation } from "./support/fixtures.js";
import { startService, type ServiceProcess } from "./support/service-process.js";
import { createTestDatabase, type TestDatabase } from "./support/test-database.js";
import { createClients, type Clients } from "./support/test-server.js";
import { createThrowawayPostgres, throwawayPostgresUnavailable, type ThrowawayPostgres } from "./support/throwaway-postgres.js";

// Postgres ending the service's connections under load, as operators and
// failovers do (DESIGN §5): the process lives, only the calls on a lost
// connection fail, with UNAVAILABLE, the pool replaces the connection, and
// nothing acknowledged is lost. The service runs as users run it, a process
// of its own logging JSON lines, so that an unhandled error would end it.

const CALLERS = 16;

interface LogLine {
  level: number;
  msg: string;
  cause?: { code?: string; message?: string };
}

interface Served {
  readonly service: ServiceProcess;
  readonly clients: Clients;
  readonly profile: ConversationProfile;
}

// Every service a test started is stopped after the file, also when the test failed.
const running: ServiceProcess[] = [];
afterAll(async () => {
  for (const service of running) {
    if (service.child.exitCode !== null || service.child.signalCode !== null) continue;
    service.child.kill("SIGTERM");
    await service.exited;
  }
});

/** The service on `url`, with clients and a profile to create conversations with. */
async function serve(url: string, project: string): Promise<Served> {
  const service = startService(["--port", "0"], { DATABASE_URL: url });
  running.push(service);
  const port = await service.serving;
  const clients = createClients("grpc", `http://127.0.0.1:${port}`);
  const profile = await createHumanProfile(clients, `projects/${project}/locations/global`);
  return { service, clients, profile };
}

/**
 * Strikes the service on `url` with `fault` while CALLERS create and complete
 * conversations, and while one CompleteConversation waits on a row lock, so
 * that a statement is surely in flight on one of its connections. `fault` is
 * told the backend holding the lock, which it should spare.
 */
async function burstThrough(url: string, project: string, fault: (lockerPid: number) => Promise<void>) {
  const served = await serve(url, project);
  const { service, clients, profile } = served;
  const parent = profile.name.split("/conversationProfiles/")[0] ?? "";
  const held = await startConversation(clients, parent, profile, "held");
  const locker = new pg.Client({ connectionString: url });
  // pg_stat_activity is read outside a transaction: within one it is a snapshot taken once.
  const watcher = new pg.Client({ connectionString: url });
  for (const client of [locker, watcher]) {
    client.on("error", () => undefined); // the fault may end these connections too
    await client.connect();
  }
  let outcome: BurstOutcome | undefined;
  try {
    await locker.query("BEGIN");
    await locker.query("SELECT 1 FROM conversations WHERE id = 'held' FOR UPDATE");
    const lockerPid = (await locker.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]?.pid ?? 0;
    const heldFailure = failureOf(clients.conversations.completeConversation({ name: held.name }, { timeoutMs: 20_000 }));
    const waiting = "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'";
    await expect.poll(async () => (await watcher.query(waiting)).rowCount, { timeout: 5000 }).toBe(1);
    const burst = startCallBurst(clients, profile, { callers: CALLERS, timeoutMs: 5000, prefix: "c" });
    try {
      await whileServing(service, burst.succeeded(60));
      await fault(lockerPid);
      await whileServing(service, burst.succeeded(60));
    } finally {
      outcome = await burst.stop();
    }
    return { served, outcome, heldFailure: await heldFailure };
  } finally {
    await locker.end().catch(() => undefined);
    await watcher.end().catch(() => undefined);
  }
}

/** `work`, failing at once with what the service said if it exits first. */
function whileServing<T>(service: ServiceProcess, work: Promise<T>): Promise<T> {
  const died = service.exited.then((code) => {
    throw new Error(`the service exited (${code}): ${service.stderr().split("\n").slice(0, 12).join("\n")}`);
  });
  return Promise.race([work, died]);
}

/** Checks what a fault left: the process serving, the failures, the log lines and every acknowledged write. */
async function expectRecovered({ served, outcome, heldFailure }: Awaited<ReturnType<typeof burstThrough>>) {
  const { service, clients, profile } = served;
  const parent = profile.name.split("/conversationProfiles/")[0] ?? "";
  expect(service.child.exitCode).toBeNull();
  expect(service.child.signalCode).toBeNull();
  // The statement Postgres ended fails with UNAVAILABLE, saying why.
  expect(Code[heldFailure.code]).toBe(Code[Code.Unavailable]);
  expect(heldFailure.findDetails(ErrorInfoSchema)[0]).toMatchObject({
    reason: "DATABASE_UNAVAILABLE",
    metadata: { code: "57P01", cause: "terminating connection due to administrator command" },
  });
  for (const failure of outcome.failures) {
    expect(Code[failure.code], failure.message).toBe(Code[Code.Unavailable]);
    const [info] = failure.findDetails(ErrorInfoSchema);
    expect(info?.reason).toBe("DATABASE_UNAVAILABLE");
    expect(info?.metadata.cause).toBeTruthy();
  }
  // After recovery a call is a call again.
  const after = await startConversation(clients, parent, profile, "after");
  await clients.conversations.completeConversation({ name: after.name }, { timeoutMs: 5000 });
  // Every acknowledged create and complete is there.
  const stored = new Map((await listAll(clients, parent)).map((conversation) => [conversation.name, conversation]));
  expect(outcome.created.length).toBeGreaterThan(0);
  expect(outcome.created.filter((name) => !stored.has(name))).toEqual([]);
  expect(outcome.completed.filter((name) => stored.get(name)?.lifecycleState !== LifecycleState.COMPLETED)).toEqual([]);
  // One line when the database went away, one when it was back; none per failed call.
  await expect.poll(() => databaseLines(service).back.length, { timeout: 2000 }).toBe(1);
  const { unavailable, back } = databaseLines(service);
  expect(unavailable).toHaveLength(1);
  expect(unavailable[0]).toMatchObject({ level: 40, msg: expect.stringMatching(/^database unavailable: /), cause: { message: expect.any(String) } });
  expect(back[0]?.level).toBeGreaterThanOrEqual(30);
  expect(service.lines.filter((line) => (line as unknown as LogLine).level >= 40)).toHaveLength(1);
}

function databaseLines(service: ServiceProcess) {
  const lines = service.lines as unknown as LogLine[];
  return {
    unavailable: lines.filter((line) => line.msg.startsWith("database unavailable")),
    back: lines.filter((line) => line.msg.startsWith("database available again")),
  };
}

describe("Postgres terminating the service's connections during calls with deadlines", () => {
  let testDatabase: TestDatabase;

  beforeAll(async () => {
    testDatabase = await createTestDatabase();
  });
  afterAll(async () => {
    await testDatabase?.dispose();
  });

  it("fails only the calls on the terminated connections, with UNAVAILABLE, and serves on without a restart", async () => {
    const url = testDatabase.url ?? "";
    const result = await burstThrough(url, "terminated", async (lockerPid) => {
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        // Only this test's database: every backend of the service, busy or idle.
        const { rowCount } = await admin.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid NOT IN (pg_backend_pid(), $1) AND backend_type = 'client backend'",
          [lockerPid],
        );
        expect(rowCount).toBeGreaterThan(1);
      } finally {
        await admin.end();
      }
    });
    await expectRecovered(result);
  }, 30_000);
});

const unavailable = throwawayPostgresUnavailable();

describe.skipIf(unavailable !== undefined)(`Postgres restarted under load${unavailable === undefined ? "" : ` (skipped: ${unavailable})`}`, () => {
  let cluster: ThrowawayPostgres;

  beforeAll(async () => {
    cluster = await createThrowawayPostgres();
  }, 30_000);
  afterAll(async () => {
    await cluster?.destroy();
  });

  it("lives through pg_ctl restart -m fast and serves again as soon as Postgres does", async () => {
    await expectRecovered(await burstThrough(cluster.url, "restarted", () => cluster.restart()));
  }, 30_000);
});

function expectNoStackTrace(service: ServiceProcess) {
  expect(service.stderr()).not.toMatch(/\n\s+at |StoreUnavailableError/);
  expect(service.lines.filter((line) => JSON.stringify(line).includes('"stack"'))).toEqual([]);
}

describe("Postgres at its connection limit", () => {
  let testDatabase: TestDatabase;
  let admin: pg.Client;
  const suffix = randomBytes(4).toString("hex");
  // Roles Postgres refuses as it refuses everyone at max_connections ("sorry, too many clients already", 53300).
  const refused = `refused_${suffix}`;
  const limited = `limited_${suffix}`;
  const asRole = (role: string) => {
    const url = new URL(testDatabase.url ?? "");
    url.username = role;
    return url.toString();
  };

  beforeAll(async () => {
    testDatabase = await createTestDatabase();
    // Connected to the cluster's postgres database, so that dropping the test's own is not in its way.
    const serverUrl = new URL(testDatabase.url ?? "");
    serverUrl.pathname = "/postgres";
    admin = new pg.Client({ connectionString: serverUrl.toString() });
    await admin.connect();
    await admin.query(`CREATE ROLE ${refused} LOGIN CONNECTION LIMIT 0`);
    await admin.query(`CREATE ROLE ${limited} LOGIN`);
    await admin.query(`ALTER DATABASE ${new URL(testDatabase.url ?? "").pathname.slice(1)} OWNER TO ${limited}`);
  });
  afterAll(async () => {
    await testDatabase?.dispose();
    for (const role of [refused, limited]) await admin?.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    await admin?.end();
  });

  it("exits non-zero at start-up with one line saying why", async () => {
    const service = startService(["--port", "0"], { DATABASE_URL: asRole(refused) });
    expect(await service.exited).not.toBe(0);
    expect(service.stderr().trim().split("\n")).toEqual([expect.stringMatching(/^Cannot start: the database is unavailable: too many connections for role "refused_\w+" \(53300\)$/)]);
    expectNoStackTrace(service);
  }, 20_000);

  it("while serving: fails calls with UNAVAILABLE saying why, logs it once at warn, and serves again when a connection is free", async () => {
    const { service, clients, profile } = await serve(asRole(limited), "limited");
    const parent = profile.name.split("/conversationProfiles/")[0] ?? "";
    await admin.query(`ALTER ROLE ${limited} CONNECTION LIMIT 0`);
    await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", [limited]);
    await expect.poll(async () => (await admin.query("SELECT 1 FROM pg_stat_activity WHERE usename = $1", [limited])).rowCount).toBe(0);

    const failures = await Promise.all(Array.from({ length: 8 }, (_, i) => failureOf(startConversation(clients, parent, profile, `refused-${i}`))));
    for (const failure of failures) {
      expect(Code[failure.code]).toBe(Code[Code.Unavailable]);
      expect(failure.rawMessage).toMatch(/^The database is unavailable: too many connections for role "limited_\w+" \(53300\); retry later$/);
      expect(failure.findDetails(ErrorInfoSchema)[0]).toMatchObject({ reason: "DATABASE_UNAVAILABLE", metadata: { code: "53300" } });
    }
    await admin.query(`ALTER ROLE ${limited} CONNECTION LIMIT -1`);
    await startConversation(clients, parent, profile, "served-again");

    await expect.poll(() => databaseLines(service).back.length, { timeout: 2000 }).toBe(1);
    const warnings = service.lines.filter((line) => (line as unknown as LogLine).level >= 40);
    expect(warnings).toEqual([expect.objectContaining({ msg: expect.stringMatching(/^database unavailable: too many connections for role .* \(53300\)/), cause: expect.objectContaining({ code: "53300" }) })]);
    expect(service.child.exitCode).toBeNull();
  }, 20_000);

  it("exits non-zero at start-up with one line saying why when nothing listens at the database's address", async () => {
    const service = startService(["--port", "0"], { DATABASE_URL: "postgres://postgres@127.0.0.1:1/postgres" });
    expect(await service.exited).not.toBe(0);
    expect(service.stderr().trim().split("\n")).toEqual([expect.stringMatching(/^Cannot start: the database is unavailable: connect ECONNREFUSED 127.0.0.1:1$/)]);
    expectNoStackTrace(service);
  }, 20_000);
});
