import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Code, ConnectError } from "@connectrpc/connect";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseBootstrap } from "../src/domain/bootstrap.js";
import { createAgentProfile, createHumanProfile, listAll, startConversation } from "./support/fixtures.js";
import { createClients, startTestServer, type Clients, type TestServer } from "./support/test-server.js";

// The emulator conveniences through the real server and the real command
// line, on a real Postgres: reset (only when enabled) and export / import.

const bootstrap = parseBootstrap({
  conversationProfiles: [
    { parent: "projects/alpha/locations/global", id: "phone-line", displayName: "Phone line", phoneNumbers: ["+15550170", "+15550171"] },
    { parent: "projects/beta/locations/global", id: "phone-line", displayName: "Phone line", phoneNumbers: ["+15550180"] },
  ],
});

/** Rows per table holding project data, for one project: what a reset must bring to zero. */
async function rowsOf(url: string, project: string): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'project' ORDER BY table_name",
    );
    const counts: Record<string, number> = {};
    for (const { table_name: table } of tables.rows) {
      counts[table] = Number((await client.query(`SELECT count(*) AS n FROM "${table}" WHERE project = $1`, [project])).rows[0].n);
    }
    return counts;
  } finally {
    await client.end();
  }
}

async function seed(clients: Clients, project: string): Promise<void> {
  const parent = `projects/${project}/locations/global`;
  const agent = await createAgentProfile(clients, parent);
  const human = await createHumanProfile(clients, parent);
  await startConversation(clients, parent, agent, "first-call");
  const done = await startConversation(clients, parent, human, "second-call");
  await clients.conversations.completeConversation({ name: done.name });
  await clients.fulfillments.updateFulfillment({
    fulfillment: { name: `projects/${project}/agent/fulfillment`, enabled: true, fulfillment: { case: "genericWebService", value: { uri: "http://127.0.0.1:9/hook" } } },
    updateMask: { paths: ["enabled", "generic_web_service"] },
  });
  // A conversation on the bootstrap profile holds one of its telephony numbers.
  const call = await clients.conversations.createConversation({
    parent,
    conversationId: "phone-call",
    conversation: { conversationProfile: `${parent}/conversationProfiles/phone-line` },
  });
  // Its participants and transcript go with the project too.
  const caller = await clients.participants.createParticipant({ parent: call.name, participant: { role: 3 } });
  await clients.participants.analyzeContent({ participant: caller.name, input: { case: "textInput", value: { text: "Hello", languageCode: "en-US" } } });
  // A profile with a notification topic: its CONVERSATION_STARTED waits in the outbox (this server publishes nothing).
  const notifying = await clients.profiles.createConversationProfile({
    parent,
    conversationProfile: { displayName: "Notifying", notificationConfig: { topic: `projects/${project}/topics/conversation-events` } },
  });
  await startConversation(clients, parent, notifying, "notified-call");
}

async function reset(baseUrl: string, path: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${baseUrl}${path}`, { method: "DELETE" });
  return { status: response.status, body: await response.json() };
}

describe("emulator reset", () => {
  let disabled: TestServer;
  let enabled: TestServer;

  beforeAll(async () => {
    [disabled, enabled] = await Promise.all([startTestServer({ bootstrap }), startTestServer({ bootstrap, emulatorReset: true })]);
  });
  afterAll(async () => {
    await Promise.all([disabled.stop(), enabled.stop()]);
  });

  it("is not served unless enabled, and erases nothing", async () => {
    const clients = createClients("grpc", disabled.baseUrl);
    await seed(clients, "alpha");
    const before = await rowsOf(disabled.testDatabase.url!, "alpha");
    expect((await reset(disabled.baseUrl, "/emulator/v1/projects/alpha")).status).toBe(404);
    expect((await reset(disabled.baseUrl, "/emulator/v1/projects")).status).toBe(404);
    expect(await rowsOf(disabled.testDatabase.url!, "alpha")).toEqual(before);
  });

  it("erases every row of one project in every table, and nothing of another", async () => {
    const clients = createClients("grpc", enabled.baseUrl);
    await seed(clients, "alpha");
    await seed(clients, "beta");
    const beta = await rowsOf(enabled.testDatabase.url!, "beta");
    const alpha = await rowsOf(enabled.testDatabase.url!, "alpha");
    for (const count of Object.values(alpha)) expect(count).toBeGreaterThan(0);

    const outcome = await reset(enabled.baseUrl, "/emulator/v1/projects/alpha");
    expect(outcome).toEqual({ status: 200, body: { project: "alpha", deleted: alpha } });
    expect(Object.values(await rowsOf(enabled.testDatabase.url!, "alpha")).every((count) => count === 0)).toBe(true);
    expect(await rowsOf(enabled.testDatabase.url!, "beta")).toEqual(beta);
    const gone = await clients.conversations.getConversation({ name: "projects/alpha/locations/global/conversations/first-call" }).catch((e: unknown) => e);
    expect(ConnectError.from(gone).code).toBe(Code.NotFound);

    // The project works again at once: a fresh profile and conversation under the same IDs.
    await seed(clients, "alpha").catch(() => undefined); // phone-line is gone with the reset: the bootstrap is not reloaded
    const parent = "projects/alpha/locations/global";
    expect((await listAll(clients, parent)).map((c) => c.name.split("/").pop()).sort()).toEqual(["first-call", "second-call"]);
  });

  it("erases every project with DELETE /emulator/v1/projects", async () => {
    const clients = createClients("grpc", enabled.baseUrl);
    await createHumanProfile(clients, "projects/gamma/locations/global");
    const outcome = await reset(enabled.baseUrl, "/emulator/v1/projects");
    expect(outcome.status).toBe(200);
    for (const project of ["alpha", "beta", "gamma"]) {
      expect(Object.values(await rowsOf(enabled.testDatabase.url!, project)).every((count) => count === 0)).toBe(true);
    }
  });

  it("refuses a malformed project ID and other methods, erasing nothing", async () => {
    const clients = createClients("grpc", enabled.baseUrl);
    await createHumanProfile(clients, "projects/delta/locations/global");
    const before = await rowsOf(enabled.testDatabase.url!, "delta");
    const malformed = await reset(enabled.baseUrl, "/emulator/v1/projects/Not_A_Project");
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ error: { status: "INVALID_ARGUMENT", details: expect.arrayContaining([expect.objectContaining({ reason: "INVALID_PROJECT_ID" })]) } });
    const post = await fetch(`${enabled.baseUrl}/emulator/v1/projects/delta`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("DELETE");
    // The REST error shape, ErrorInfo included, as every other route answers.
    expect(await post.json()).toMatchObject({
      error: { code: 405, status: "INVALID_ARGUMENT", details: expect.arrayContaining([expect.objectContaining({ reason: "HTTP_METHOD_NOT_ALLOWED" })]) },
    });
    expect(await rowsOf(enabled.testDatabase.url!, "delta")).toEqual(before);
  });
});

describe("export and import (node dist/cli.js)", () => {
  let test: TestServer;
  let clients: Clients;
  let dir: string;
  const cli = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, ["--enable-source-maps", "dist/cli.js", ...args, "--database-url", test.testDatabase.url!], {
        env: { ...process.env, DATABASE_URL: "" },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };

  beforeAll(async () => {
    test = await startTestServer({ bootstrap });
    clients = createClients("grpc", test.baseUrl);
    dir = await mkdtemp(join(tmpdir(), "conversations-export-"));
    await seed(clients, "alpha");
    await seed(clients, "beta");
  });
  afterAll(async () => {
    await test.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("saves a project and loads it back, every row and field as it was", async () => {
    const parent = "projects/alpha/locations/global";
    const profilesBefore = (await clients.profiles.listConversationProfiles({ parent, pageSize: 100 })).conversationProfiles;
    const conversationsBefore = await listAll(clients, parent);
    const file = join(dir, "alpha.json");
    const exported = await cli("export", "--project", "alpha", "--out", file);
    expect(exported).toMatchObject({ code: 0, stderr: expect.stringMatching(/^exported project alpha: /) });
    const saved = JSON.parse(await readFile(file, "utf8")) as { project: string; tables: Record<string, unknown[]> };
    expect(saved.project).toBe("alpha");
    expect(saved.tables.conversations).toHaveLength(4);
    expect(saved.tables.conversation_profiles).toHaveLength(4);
    // Pending events are work in flight, not data: a copy must not publish them again.
    expect(saved.tables).not.toHaveProperty("event_outbox");
    expect(saved.tables.profile_phone_numbers).toHaveLength(2);
    expect(saved.tables.fulfillments).toHaveLength(1);
    expect(saved.tables.participants).toHaveLength(1);
    expect(saved.tables.messages).toHaveLength(1);

    // Erase alpha (beta stays), then load the file.
    const client = new pg.Client({ connectionString: test.testDatabase.url! });
    await client.connect();
    for (const table of Object.keys(saved.tables)) await client.query(`DELETE FROM "${table}" WHERE project = 'alpha'`);
    await client.end();
    expect(await listAll(clients, parent)).toEqual([]);
    const imported = await cli("import", file);
    expect(imported).toMatchObject({ code: 0, stderr: expect.stringMatching(/^imported project alpha: /) });

    expect((await clients.profiles.listConversationProfiles({ parent, pageSize: 100 })).conversationProfiles).toEqual(profilesBefore);
    expect(await listAll(clients, parent)).toEqual(conversationsBefore);
    expect((await clients.fulfillments.getFulfillment({ name: "projects/alpha/agent/fulfillment" })).enabled).toBe(true);
    // Exporting again gives the same rows: nothing was lost or changed on the way.
    const again = await cli("export", "--project", "alpha");
    expect((JSON.parse(again.stdout) as typeof saved).tables).toEqual(saved.tables);
  });

  it("refuses to load over existing rows unless told to replace them, and then replaces them", async () => {
    const file = join(dir, "beta.json");
    expect((await cli("export", "--project", "beta", "--out", file)).code).toBe(0);
    const parent = "projects/beta/locations/global";
    const before = await listAll(clients, parent);
    const refused = await cli("import", file);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^Import refused: tables\.\w+: .*--replace/);
    expect(await listAll(clients, parent)).toEqual(before);

    await startConversation(clients, parent, (await createHumanProfile(clients, parent)), "added-later");
    expect((await cli("import", file, "--replace")).code).toBe(0);
    expect(await listAll(clients, parent)).toEqual(before);
  });

  it("refuses a file that is not an export, or whose rows belong to another project, changing nothing", async () => {
    const bad = join(dir, "bad.json");
    await writeFile(bad, JSON.stringify({ hello: "world" }));
    expect(await cli("import", bad)).toMatchObject({ code: 1, stderr: expect.stringMatching(/^Import refused: format must be/) });

    const file = join(dir, "alpha-for-beta.json");
    expect((await cli("export", "--project", "alpha", "--out", file)).code).toBe(0);
    const forged = JSON.parse(await readFile(file, "utf8")) as { project: string };
    forged.project = "beta";
    await writeFile(file, JSON.stringify(forged));
    const before = await listAll(clients, "projects/beta/locations/global");
    const refused = await cli("import", file, "--replace");
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringMatching(/^Import refused: tables\.\w+\[0\]\.project is "alpha", not "beta"/) });
    expect(await listAll(clients, "projects/beta/locations/global")).toEqual(before);
  });
});
