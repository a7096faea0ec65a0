import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { create, toJson } from "@bufbuild/protobuf";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FulfillmentSchema, type Fulfillment } from "../src/gen/google/cloud/dialogflow/v2/fulfillment_pb.js";
import { AutomatedAgentReplySchema, AutomatedAgentReply_AutomatedAgentReplyType } from "../src/gen/google/cloud/dialogflow/v2/participant_pb.js";
import { QueryParametersSchema } from "../src/gen/google/cloud/dialogflow/v2/session_pb.js";
import { GOOGLE_WEBHOOK_LIMITS } from "../src/webhook/post-webhook.js";
import { runVirtualAgentTurn, type VirtualAgentTurnInput, type WebhookClientOptions } from "../src/webhook/virtual-agent-turn.js";
import { parseWebhookHostPolicy } from "../src/webhook/webhook-hosts.js";

// The virtual agent's webhook client (DESIGN §4.11) against a real HTTP server on loopback.

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: Record<string, unknown>;
}

let server: Server;
let port: number;
let handle: (request: IncomingMessage, response: ServerResponse, body: string) => void;
const received: Received[] = [];
const warnings: Array<{ fields: Record<string, unknown>; message: string }> = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      received.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers, body: JSON.parse(body) as Record<string, unknown> });
      handle(request, response, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterEach(() => {
  received.length = 0;
  warnings.length = 0;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const answerJson = (json: unknown, status = 200) => (_request: IncomingMessage, response: ServerResponse) => {
  response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(json));
};

function options(overrides: Partial<WebhookClientOptions> = {}): WebhookClientOptions {
  return {
    ...GOOGLE_WEBHOOK_LIMITS,
    allowedHosts: parseWebhookHostPolicy("loopback"),
    log: { warn: (fields, message) => void warnings.push({ fields, message }) },
    ...overrides,
  };
}

function fulfillment(uri = `http://127.0.0.1:${port}/hook`, more: Partial<{ enabled: boolean; username: string; password: string; requestHeaders: Record<string, string> }> = {}): Fulfillment {
  return create(FulfillmentSchema, {
    name: "projects/shop/agent/fulfillment",
    enabled: more.enabled ?? true,
    fulfillment: { case: "genericWebService", value: { uri, username: more.username ?? "", password: more.password ?? "", requestHeaders: more.requestHeaders ?? {} } },
  });
}

function turn(overrides: Partial<VirtualAgentTurnInput> = {}): VirtualAgentTurnInput {
  return {
    conversation: "projects/shop/locations/global/conversations/call-42",
    participant: "projects/shop/locations/global/conversations/call-42/participants/p-1",
    text: "Where is my order?",
    languageCode: "en-US",
    agent: "projects/shop/agent",
    queryParams: undefined,
    fulfillment: fulfillment(),
    ...overrides,
  };
}

/** The parts of a reply's proto3 JSON the tests read. */
interface ReplyJson {
  readonly automatedAgentReplyType?: string;
  readonly detectIntentResponse: {
    readonly responseId: string;
    readonly webhookStatus?: unknown;
    readonly queryResult: { readonly queryText?: string; readonly fulfillmentText?: string; readonly fulfillmentMessages?: unknown };
  };
}

/** The outcome as proto3 JSON, the way a client reads it. */
async function outcomeOf(input: VirtualAgentTurnInput, opts = options()) {
  const outcome = await runVirtualAgentTurn(input, opts);
  const reply = outcome.automatedAgentReply === undefined ? undefined : (toJson(AutomatedAgentReplySchema, outcome.automatedAgentReply) as unknown as ReplyJson);
  return { reply, replyText: outcome.replyText };
}

describe("runVirtualAgentTurn", () => {
  it("POSTs Google's WebhookRequest JSON with Basic auth and the configured headers", async () => {
    handle = answerJson({ fulfillmentText: "It ships today." });
    const queryParams = create(QueryParametersSchema, { payload: { channel: "web", customer: { id: 7 } }, webhookHeaders: { "X-Trace": "t-1", "x-api-key": "from-request" } });
    await outcomeOf(turn({ queryParams, fulfillment: fulfillment(undefined, { username: "df", password: "s3cret", requestHeaders: { "X-Api-Key": "k-1", "X-Tenant": "acme", Host: "evil.example" } }) }));
    expect(received).toHaveLength(1);
    const [call] = received;
    expect(call?.method).toBe("POST");
    expect(call?.url).toBe("/hook");
    expect(call?.headers.authorization).toBe(`Basic ${Buffer.from("df:s3cret").toString("base64")}`);
    expect(call?.headers["content-type"]).toMatch(/^application\/json/);
    expect(call?.headers["x-tenant"]).toBe("acme");
    expect(call?.headers["x-api-key"]).toBe("from-request"); // query_params.webhook_headers win, as Google documents
    expect(call?.headers["x-trace"]).toBe("t-1");
    expect(call?.headers.host).toBe(`127.0.0.1:${port}`);
    expect(call?.body).toEqual({
      session: "projects/shop/agent/sessions/call-42",
      responseId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      queryResult: {
        queryText: "Where is my order?",
        languageCode: "en-US",
        action: "input.unknown",
        parameters: {},
        allRequiredParamsPresent: true,
        intent: { name: "projects/shop/agent/intents/00000000-0000-0000-0000-00000000fa11", displayName: "Default Fallback Intent", isFallback: true, action: "input.unknown" },
        intentDetectionConfidence: 1,
      },
      originalDetectIntentRequest: { payload: { channel: "web", customer: { id: 7 } } },
    });
    expect(warnings).toEqual([]);
  });

  it("names the session after the agent's location and environment, as Google does", async () => {
    handle = answerJson({});
    await outcomeOf(turn({ agent: "projects/shop/locations/europe-west1/agent" }));
    await outcomeOf(turn({ agent: "projects/shop/agent/environments/prod" }));
    await outcomeOf(turn({ agent: "projects/shop/locations/global/agent/environments/-" }));
    expect(received.map((call) => call.body.session)).toEqual([
      "projects/shop/locations/europe-west1/agent/sessions/call-42",
      "projects/shop/agent/environments/prod/users/-/sessions/call-42",
      "projects/shop/locations/global/agent/sessions/call-42",
    ]);
  });

  it("makes the WebhookResponse the automated reply and reply_text", async () => {
    const webhookResponse = {
      fulfillmentText: "It ships today.",
      fulfillmentMessages: [{ text: { text: ["It ships today."] } }, { quickReplies: { title: "More?", quickReplies: ["Track it"] } }],
      source: "orders-service",
      payload: { order: { id: "A-1" } },
      outputContexts: [{ name: "projects/shop/agent/sessions/call-42/contexts/order", lifespanCount: 2, parameters: { id: "A-1" } }],
      notAField: true,
    };
    handle = answerJson(webhookResponse);
    const { reply, replyText } = await outcomeOf(turn());
    expect(replyText).toBe("It ships today.");
    expect(reply?.automatedAgentReplyType).toBe(AutomatedAgentReply_AutomatedAgentReplyType[AutomatedAgentReply_AutomatedAgentReplyType.FINAL]);
    const response = reply?.detectIntentResponse;
    expect(response?.responseId).toBe(received[0]?.body.responseId);
    expect(response?.webhookStatus).toEqual({ message: "Webhook execution successful" });
    expect(response?.queryResult).toMatchObject({
      queryText: "Where is my order?",
      languageCode: "en-US",
      fulfillmentText: "It ships today.",
      fulfillmentMessages: webhookResponse.fulfillmentMessages,
      webhookSource: "orders-service",
      webhookPayload: { order: { id: "A-1" } },
      outputContexts: webhookResponse.outputContexts,
      intent: { displayName: "Default Fallback Intent" },
    });
  });

  it("fills fulfillment_text from the text messages, and the messages from a lone text", async () => {
    handle = answerJson({ fulfillmentMessages: [{ text: { text: ["Hello,", "there."] } }] });
    expect((await outcomeOf(turn())).replyText).toBe("Hello, there.");
    handle = answerJson({ fulfillmentText: "Just text." });
    const { reply } = await outcomeOf(turn());
    expect(reply?.detectIntentResponse.queryResult.fulfillmentMessages).toEqual([{ text: { text: ["Just text."] } }]);
  });

  it("calls the webhook again for a follow-up event, ignoring the first reply, up to a limit", async () => {
    let calls = 0;
    handle = (_request, response) => {
      calls++;
      const json = calls === 1 ? { fulfillmentText: "ignored", followupEventInput: { name: "order_lookup", parameters: { id: "A-1" }, languageCode: "en" } } : { fulfillmentText: "Found A-1." };
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(json));
    };
    const { replyText } = await outcomeOf(turn());
    expect(replyText).toBe("Found A-1.");
    expect(received[1]?.body.queryResult).toMatchObject({ queryText: "order_lookup", parameters: { id: "A-1" }, languageCode: "en-US" });

    received.length = 0;
    handle = answerJson({ followupEventInput: { name: "again" } });
    const looped = await outcomeOf(turn());
    expect(received).toHaveLength(4);
    expect(looped.replyText).toBe("");
    expect(looped.reply?.detectIntentResponse.webhookStatus).toMatchObject({ code: 10, message: expect.stringMatching(/follow-up events/) });
  });

  describe("a webhook that fails gives webhook_status, no reply text, one log line, and never throws", () => {
    async function expectFailure(input: VirtualAgentTurnInput, code: number, message: RegExp, opts = options()) {
      const { reply, replyText } = await outcomeOf(input, opts);
      expect(replyText).toBe("");
      expect(reply?.detectIntentResponse.webhookStatus).toEqual({ code, message: expect.stringMatching(message) });
      expect(reply?.detectIntentResponse.queryResult.queryText).toBe("Where is my order?");
      expect(reply?.detectIntentResponse.queryResult.fulfillmentText).toBeUndefined();
      expect(warnings).toHaveLength(1);
      expect(warnings[0]?.message).toMatch(/^webhook call failed: /);
      expect(JSON.stringify(warnings[0])).not.toContain("s3cret");
    }

    it("times out: DEADLINE_EXCEEDED", async () => {
      handle = () => undefined; // never answers
      await expectFailure(turn(), 4, /did not answer within 0.2 s/, options({ timeoutMs: 200 }));
    });

    it("answers non-2xx: the code of the HTTP status", async () => {
      handle = answerJson({ error: "down" }, 503);
      await expectFailure(turn(), 14, /HTTP 503/);
      warnings.length = 0;
      handle = answerJson({}, 404);
      await expectFailure(turn(), 5, /HTTP 404/);
    });

    it("answers something that is not a WebhookResponse in JSON: INVALID_ARGUMENT", async () => {
      handle = (_request, response) => response.writeHead(200).end("<html>oops</html>");
      await expectFailure(turn(), 3, /not a WebhookResponse/);
      warnings.length = 0;
      handle = answerJson({ fulfillmentText: 42 });
      await expectFailure(turn(), 3, /not a WebhookResponse/);
    });

    it("answers more than the size limit: RESOURCE_EXHAUSTED, declared or streamed", async () => {
      handle = answerJson({ fulfillmentText: "x".repeat(70 * 1024) });
      await expectFailure(turn(), 8, /larger than 65536 bytes/);
      warnings.length = 0;
      handle = (_request, response) => {
        response.writeHead(200, { "content-type": "application/json" }); // chunked: no content-length
        response.write(`{"fulfillmentText":"${"y".repeat(40 * 1024)}`);
        response.end(`${"y".repeat(40 * 1024)}"}`);
      };
      await expectFailure(turn(), 8, /larger than/);
    });

    it("redirects to another origin: FAILED_PRECONDITION, without following", async () => {
      handle = (request, response) => {
        if (request.url === "/hook") response.writeHead(307, { location: `http://localhost:${port}/elsewhere` }).end();
        else answerJson({ fulfillmentText: "should not be reached" })(request, response);
      };
      await expectFailure(turn(), 9, /redirected \(HTTP 307\) to http:\/\/localhost/);
      expect(received.map((call) => call.url)).toEqual(["/hook"]);
    });

    it("follows a redirect within the same origin", async () => {
      handle = (request, response) => {
        if (request.url === "/hook") response.writeHead(308, { location: "/v2/hook" }).end();
        else answerJson({ fulfillmentText: "Moved, still here." })(request, response);
      };
      expect((await outcomeOf(turn())).replyText).toBe("Moved, still here.");
      expect(received.map((call) => [call.url, call.method])).toEqual([["/hook", "POST"], ["/v2/hook", "POST"]]);
    });

    it("names a host WEBHOOK_ALLOWED_HOSTS does not list: PERMISSION_DENIED, nothing sent", async () => {
      handle = answerJson({ fulfillmentText: "should not be reached" });
      await expectFailure(turn(), 7, /host 127.0.0.1 is not among the hosts/, options({ allowedHosts: parseWebhookHostPolicy("hooks.example.com") }));
      warnings.length = 0;
      await expectFailure(turn({ fulfillment: fulfillment("http://10.11.12.13/hook") }), 7, /host 10.11.12.13/);
      expect(received).toEqual([]);
    });

    it("cannot be reached: UNAVAILABLE", async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
      const closedPort = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));
      await expectFailure(turn({ fulfillment: fulfillment(`http://127.0.0.1:${closedPort}/hook`, { password: "s3cret" }) }), 14, /could not be reached/);
    });
  });

  it("ends the webhook call when the call's signal aborts, rejecting with its reason and logging nothing", async () => {
    let closed: () => void = () => undefined;
    const connectionClosed = new Promise<void>((resolve) => (closed = resolve));
    handle = (_request, response) => void response.once("close", closed); // never answers
    const call = new AbortController();
    const outcome = runVirtualAgentTurn(turn(), options(), call.signal);
    await new Promise((resolve) => setTimeout(resolve, 100));
    call.abort(new Error("the deadline passed"));
    await expect(outcome).rejects.toThrow("the deadline passed");
    await connectionClosed;
    expect(warnings).toEqual([]);
  });

  it("calls no webhook for a call that is over already", async () => {
    handle = answerJson({ fulfillmentText: "should not be reached" });
    await expect(runVirtualAgentTurn(turn(), options(), AbortSignal.abort(new Error("the call is over")))).rejects.toThrow("the call is over");
    expect(received).toEqual([]);
  });

  it("gives no automated reply, and calls nothing, without an enabled webhook", async () => {
    handle = answerJson({ fulfillmentText: "should not be reached" });
    const none = { automatedAgentReply: undefined, replyText: "" };
    expect(await runVirtualAgentTurn(turn({ fulfillment: undefined }), options())).toEqual(none);
    expect(await runVirtualAgentTurn(turn({ fulfillment: fulfillment(undefined, { enabled: false }) }), options())).toEqual(none);
    expect(await runVirtualAgentTurn(turn({ fulfillment: create(FulfillmentSchema, { name: "projects/shop/agent/fulfillment", enabled: true }) }), options())).toEqual(none);
    expect(await runVirtualAgentTurn(turn({ agent: "projects/shop/locations/us-central1/agents/0c1d-cx" }), options())).toEqual(none);
    expect(received).toEqual([]);
    expect(warnings).toEqual([]);
  });
});
