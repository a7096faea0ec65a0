import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postThenGoAway } from "./support/abandoned-request.js";
import { useRowLockHolder } from "./support/row-lock-holder.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

// REST/JSON per the proto's google.api.http rules, called with plain fetch.

interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly json: Record<string, unknown>;
}

const ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo";

describe("REST/JSON transcoding", () => {
  let test: TestServer;
  let call: (method: string, path: string, body?: unknown) => Promise<Reply>;
  const parent = "projects/rest-p/locations/global";
  let agentProfile: string;

  beforeAll(async () => {
    test = await startTestServer();
    call = async (method, path, body) => {
      const response = await fetch(`${test.baseUrl}${path}`, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
      });
      return { status: response.status, headers: response.headers, json: (await response.json()) as Record<string, unknown> };
    };
    const created = await call("POST", `/v2/${parent}/conversationProfiles`, {
      displayName: "REST profile",
      automatedAgentConfig: { agent: "projects/rest-p/agent" },
    });
    agentProfile = created.json.name as string;
  });
  afterAll(async () => {
    expect(test.internalErrors).toEqual([]);
    await test.stop();
  });

  it("creates a conversation with conversationId as a query parameter, in proto3 JSON", async () => {
    const reply = await call("POST", `/v2/${parent}/conversations?conversationId=rest-1`, { conversationProfile: agentProfile });
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({
      name: `${parent}/conversations/rest-1`,
      lifecycleState: "IN_PROGRESS",
      conversationStage: "VIRTUAL_AGENT_STAGE",
      conversationProfile: agentProfile,
    });
    expect(reply.json.startTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    expect(reply.json).not.toHaveProperty("endTime");
  });

  it("serves the project-level name form", async () => {
    const profile = await call("POST", "/v2/projects/rest-short/conversationProfiles", { displayName: "short" });
    const created = await call("POST", "/v2/projects/rest-short/conversations?conversationId=short-1", {
      conversationProfile: profile.json.name,
    });
    expect(created.json.name).toBe("projects/rest-short/conversations/short-1");
    const read = await call("GET", "/v2/projects/rest-short/conversations/short-1");
    expect(read.json).toEqual(created.json);
    const listed = await call("GET", "/v2/projects/rest-short/conversations");
    expect((listed.json.conversations as unknown[]).length).toBe(1);
    const completed = await call("POST", "/v2/projects/rest-short/conversations/short-1:complete", {});
    expect(completed.json.lifecycleState).toBe("COMPLETED");
  });

  it("accepts enums as numbers and ignores unknown fields, as Google's client sends them", async () => {
    const reply = await call("POST", `/v2/${parent}/conversations?conversationId=rest-enum&$alt=json%3Benum-encoding%3Dint`, {
      conversationProfile: agentProfile,
      conversationStage: 2,
      ingestedContextReferences: {},
      initialGeneratorContexts: {},
      somethingNew: { nested: true },
    });
    expect(reply.status).toBe(200);
    // $alt=json;enum-encoding=int asks for enums as numbers in the response.
    expect(reply.json.conversationStage).toBe(2);
    expect(reply.json.lifecycleState).toBe(1);
  });

  it("gets, lists with pageSize / pageToken / filter, and completes", async () => {
    for (const id of ["rest-a", "rest-b", "rest-c"]) {
      await call("POST", `/v2/${parent}/conversations?conversationId=${id}`, { conversationProfile: agentProfile });
    }
    const read = await call("GET", `/v2/${parent}/conversations/rest-a`);
    expect(read.json.name).toBe(`${parent}/conversations/rest-a`);

    const first = await call("GET", `/v2/${parent}/conversations?pageSize=2`);
    expect((first.json.conversations as unknown[]).length).toBe(2);
    const token = first.json.nextPageToken as string;
    expect(token).toMatch(/^[A-Za-z0-9_.-]+$/);
    const second = await call("GET", `/v2/${parent}/conversations?page_size=2&pageToken=${encodeURIComponent(token)}`);
    expect((second.json.conversations as unknown[]).length).toBe(2);

    const completed = await call("POST", `/v2/${parent}/conversations/rest-b:complete`, {});
    expect(completed.json.lifecycleState).toBe("COMPLETED");
    expect(completed.json.endTime).toBeDefined();
    const filtered = await call("GET", `/v2/${parent}/conversations?filter=${encodeURIComponent('lifecycle_state = "COMPLETED"')}`);
    expect((filtered.json.conversations as { name: string }[]).map((c) => c.name)).toEqual([`${parent}/conversations/rest-b`]);
  });

  it("serves every profile route, PATCH with updateMask in either spelling", async () => {
    const created = await call("POST", `/v2/${parent}/conversationProfiles`, { displayName: "Patch me", languageCode: "en-US" });
    const name = created.json.name as string;
    expect((await call("GET", `/v2/${name}`)).json).toEqual(created.json);
    const patched = await call("PATCH", `/v2/${name}?updateMask=display_name,timeZone`, {
      displayName: "Patched",
      timeZone: "Europe/Paris",
      languageCode: "de-DE",
    });
    expect(patched.json).toMatchObject({ displayName: "Patched", timeZone: "Europe/Paris", languageCode: "en-US" });
    const listed = await call("GET", `/v2/${parent}/conversationProfiles?pageSize=100`);
    expect((listed.json.conversationProfiles as { name: string }[]).map((p) => p.name)).toContain(name);
    const deleted = await call("DELETE", `/v2/${name}`);
    expect(deleted.status).toBe(200);
    expect(deleted.json).toEqual({});
    expect((await call("GET", `/v2/${name}`)).status).toBe(404);
  });

  it("answers errors in Google's JSON shape with BadRequest details", async () => {
    const reply = await call("GET", `/v2/${parent}/conversations?pageSize=-1`);
    expect(reply.status).toBe(400);
    expect(reply.json).toEqual({
      error: {
        code: 400,
        message: expect.stringContaining("page_size"),
        status: "INVALID_ARGUMENT",
        details: [
          {
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            fieldViolations: [{ field: "page_size", description: expect.stringContaining("negative"), reason: expect.any(String) }],
          },
          expect.objectContaining({ "@type": "type.googleapis.com/google.rpc.ErrorInfo", domain: "dialogflow.googleapis.com" }),
        ],
      },
    });
  });

  it("maps NOT_FOUND to 404 with ResourceInfo, ALREADY_EXISTS to 409 and FAILED_PRECONDITION to 400", async () => {
    const missing = await call("GET", `/v2/${parent}/conversations/not-there`);
    expect(missing.status).toBe(404);
    expect(missing.json.error).toMatchObject({
      code: 404,
      status: "NOT_FOUND",
      details: expect.arrayContaining([
        expect.objectContaining({ "@type": "type.googleapis.com/google.rpc.ResourceInfo", resourceName: `${parent}/conversations/not-there` }),
      ]),
    });
    await call("POST", `/v2/${parent}/conversations?conversationId=dup-1`, { conversationProfile: agentProfile });
    const taken = await call("POST", `/v2/${parent}/conversations?conversationId=dup-1`, { conversationProfile: agentProfile });
    expect(taken.status).toBe(409);
    expect((taken.json.error as { status: string }).status).toBe("ALREADY_EXISTS");
    const busy = await call("DELETE", `/v2/${agentProfile}`);
    expect(busy.status).toBe(400);
    expect((busy.json.error as { status: string }).status).toBe("FAILED_PRECONDITION");
  });

  it("refuses malformed JSON with 400 and changes nothing", async () => {
    const reply = await call("POST", `/v2/${parent}/conversations?conversationId=bad-json`, "{not json");
    expect(reply.status).toBe(400);
    expect((reply.json.error as { status: string }).status).toBe("INVALID_ARGUMENT");
    expect(reply.json).toHaveProperty("error.details", [expect.objectContaining({ "@type": ERROR_INFO, reason: "INVALID_JSON_BODY" })]);
    const notObject = await call("POST", `/v2/${parent}/conversations/bad-json:complete`, "[1]");
    expect(notObject.json).toHaveProperty("error.details", [expect.objectContaining({ "@type": ERROR_INFO, reason: "INVALID_JSON_BODY" })]);
    const wrongShape = await call("POST", `/v2/${parent}/conversations?conversationId=bad-json`, { conversationProfile: ["not", "a", "string"] });
    expect(wrongShape.status).toBe(400);
    expect(wrongShape.json).toHaveProperty("error.details", [
      expect.objectContaining({ "@type": ERROR_INFO, reason: "REQUEST_DOES_NOT_FIT_MESSAGE", metadata: { message: "google.cloud.dialogflow.v2.CreateConversationRequest" } }),
    ]);
    expect((await call("GET", `/v2/${parent}/conversations/bad-json`)).status).toBe(404);
  });

  it("answers an unknown path with 404 and a wrong method with 405, both in the error shape", async () => {
    const unknown = await call("GET", "/v2/projects/rest-p/widgets");
    expect(unknown.status).toBe(404);
    // Answered by the route itself, it still carries a request id to quote.
    expect(unknown.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect((unknown.json.error as { status: string }).status).toBe("NOT_FOUND");
    expect(unknown.json).toHaveProperty("error.details", [
      expect.objectContaining({ "@type": ERROR_INFO, reason: "UNKNOWN_ROUTE", domain: "dialogflow.googleapis.com", metadata: { path: "/v2/projects/rest-p/widgets" } }),
    ]);
    const outside = await call("GET", "/nothing/here?x=1");
    expect(outside.status).toBe(404);
    expect(outside.json).toHaveProperty("error.code", 404);
    expect(outside.json).toHaveProperty("error.details", [
      expect.objectContaining({ "@type": ERROR_INFO, reason: "UNKNOWN_ROUTE", metadata: { path: "/nothing/here" } }),
    ]);
    const wrong = await call("PUT", `/v2/${parent}/conversations/rest-a`, {});
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET");
    expect(wrong.json).toHaveProperty("error.code", 405);
    expect(wrong.json).toHaveProperty("error.details", [
      expect.objectContaining({ "@type": ERROR_INFO, reason: "HTTP_METHOD_NOT_ALLOWED", metadata: expect.objectContaining({ method: "PUT", allow: "GET" }) }),
    ]);
  });

  describe("while CompleteConversation waits on a row lock", () => {
    const rowLock = useRowLockHolder(() => test.testDatabase.url);
    let name: string;

    async function lockRow(id: string): Promise<void> {
      const created = await call("POST", `/v2/${parent}/conversations?conversationId=${id}`, { conversationProfile: agentProfile });
      name = created.json.name as string;
      await rowLock.lock(id);
    }

    it("answers 504 DEADLINE_EXCEEDED at the X-Server-Timeout deadline and cancels the statement", async () => {
      await lockRow("rest-deadline");
      try {
        const started = Date.now();
        const response = await fetch(`${test.baseUrl}/v2/${name}:complete`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-server-timeout": "0.3", "x-request-id": "rest-deadline-1" },
          body: "{}",
        });
        expect(response.status).toBe(504);
        // Answered at the deadline, before the call has given up: the id is the caller's all the same.
        expect(response.headers.get("x-request-id")).toBe("rest-deadline-1");
        expect(await response.json()).toHaveProperty("error.status", "DEADLINE_EXCEEDED");
        expect(Date.now() - started).toBeLessThan(2000);
        expect(await rowLock.waitingCompletes()).toBe(0);
      } finally {
        await rowLock.release();
      }
      expect((await call("GET", `/v2/${name}`)).json).not.toHaveProperty("endTime");
    });

    it("cancels the statement when the caller goes away", async () => {
      await lockRow("rest-gone");
      try {
        await postThenGoAway(`${test.baseUrl}/v2/${name}:complete`, "{}");
        expect(await rowLock.waitingCompletes()).toBe(0);
      } finally {
        await rowLock.release();
      }
      expect((await call("GET", `/v2/${name}`)).json).not.toHaveProperty("endTime");
    });
  });
});
