import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthorizer } from "../src/auth/authorizer.js";
import { createHumanProfile, listAll, startConversation } from "./support/fixtures.js";
import { TOKENS, writeTokensFile } from "./support/auth-tokens.js";
import { createClients, startTestServer, type TestServer } from "./support/test-server.js";

// The emulator's project-data route (EMULATOR_RESET on): a project's export
// file over HTTP and loading one back, through the CLI's code, with the
// reset's access rule.

describe("the emulator's project data over HTTP", () => {
  let tokens: Awaited<ReturnType<typeof writeTokensFile>>;
  let off: TestServer;
  let on: TestServer;
  let guarded: TestServer;

  beforeAll(async () => {
    tokens = await writeTokensFile();
    [off, on, guarded] = await Promise.all([
      startTestServer(),
      startTestServer({ emulatorReset: true }),
      startTestServer({ emulatorReset: true, authorizer: await createAuthorizer({ tokensFile: tokens.file }) }),
    ]);
  });
  afterAll(async () => {
    for (const server of [off, on, guarded]) {
      expect(server?.internalErrors).toEqual([]);
      await server?.stop();
    }
    await tokens?.dispose();
  });

  const url = (server: TestServer, project: string, query = "") => `${server.baseUrl}/emulator/v1/project-data/${project}${query}`;
  const post = (server: TestServer, project: string, body: string, query = "", headers: Record<string, string> = {}) =>
    fetch(url(server, project, query), { method: "POST", body, headers: { "content-type": "application/json", ...headers } });

  it("is an unknown route without EMULATOR_RESET", async () => {
    expect((await fetch(url(off, "alpha"))).status).toBe(404);
    expect((await post(off, "alpha", "{}")).status).toBe(404);
  });

  it("tells the console the emulator endpoints are on", async () => {
    const answer = await fetch(`${on.baseUrl}/console/emulator.js`);
    expect(answer.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(await answer.text()).toContain("reset: true");
  });

  it("exports a project as the CLI's file, and imports it back after an erase, refusing a second import without replace", async () => {
    const clients = createClients("grpc", on.baseUrl);
    const parent = "projects/exported/locations/global";
    const profile = await createHumanProfile(clients, parent);
    await startConversation(clients, parent, profile, "kept-call");
    const exported = await fetch(url(on, "exported"));
    expect(exported.status).toBe(200);
    expect(exported.headers.get("content-disposition")).toBe('attachment; filename="exported.json"');
    const file = await exported.text();
    const parsed = JSON.parse(file) as { format: string; project: string; tables: Record<string, unknown[]> };
    expect([parsed.format, parsed.project, parsed.tables.conversations?.length]).toEqual(["dialogflow-conversations/project-export", "exported", 1]);

    expect((await fetch(`${on.baseUrl}/emulator/v1/projects/exported`, { method: "DELETE" })).status).toBe(200);
    expect(await listAll(clients, parent)).toEqual([]);
    const imported = await post(on, "exported", file);
    expect(imported.status).toBe(200);
    expect(((await imported.json()) as { imported: Record<string, number> }).imported).toMatchObject({ conversations: 1, conversation_profiles: 1 });
    expect((await listAll(clients, parent)).map((c) => c.name.split("/").pop())).toEqual(["kept-call"]);

    const again = await post(on, "exported", file);
    expect(again.status).toBe(400);
    expect(((await again.json()) as { error: { message: string } }).error.message).toMatch(/^Import refused: tables\.\w+: /);
    expect((await post(on, "exported", file, "?replace=true")).status).toBe(200);
  });

  it("refuses a file of another project than the path names, and what is not an export", async () => {
    const file = await (await fetch(url(on, "exported"))).text();
    const other = await post(on, "elsewhere", file);
    expect(other.status).toBe(400);
    expect(((await other.json()) as { error: { message: string } }).error.message).toBe("Import refused: the file holds project exported, not elsewhere");
    expect((await post(on, "elsewhere", "not json")).status).toBe(400);
    expect((await fetch(url(on, "Not%20A%20Project"))).status).toBe(400);
    expect((await fetch(url(on, "exported"), { method: "DELETE" })).status).toBe(405);
  });

  it("takes an editor token covering the project when auth is on", async () => {
    expect((await fetch(url(guarded, "alpha"))).status).toBe(401);
    expect((await fetch(url(guarded, "alpha"), { headers: { authorization: `Bearer ${TOKENS.alphaReader}` } })).status).toBe(403);
    expect((await fetch(url(guarded, "beta"), { headers: { authorization: `Bearer ${TOKENS.alphaEditor}` } })).status).toBe(403);
    const file = await fetch(url(guarded, "alpha"), { headers: { authorization: `Bearer ${TOKENS.alphaEditor}` } });
    expect(file.status).toBe(200);
    expect((await post(guarded, "alpha", await file.text(), "?replace=true", { authorization: `Bearer ${TOKENS.alphaReader}` })).status).toBe(403);
  });
});
