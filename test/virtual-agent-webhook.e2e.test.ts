import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAgentProfile, startConversation } from "./support/fixtures.js";
import { useTestServer } from "./support/test-server.js";

// The whole virtual agent: an END_USER turn in VIRTUAL_AGENT_STAGE reaches the
// agent's fulfillment webhook (a real HTTP server here), and its answer comes
// back as the turn's reply and an AUTOMATED_AGENT message of the transcript.

const END_USER = 3;
const AUTOMATED_AGENT = 2;

describe("The agent's fulfillment webhook as the virtual agent", () => {
  const received: { body: Record<string, unknown>; authorization: string | undefined }[] = [];
  let webhook: Server;
  let webhookUrl = "";
  beforeAll(async () => {
    webhook = createServer((request, response) => {
      void readJson(request).then((body) => {
        received.push({ body, authorization: request.headers.authorization });
        const queryText = (body.queryResult as { queryText?: string } | undefined)?.queryText ?? "";
        response.setHeader("content-type", "application/json");
        if (queryText === "fail please") {
          response.statusCode = 500;
          response.end("{}");
          return;
        }
        response.end(JSON.stringify({ fulfillmentText: `Webhook heard: ${queryText}`, payload: { from: "webhook" } }));
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, "127.0.0.1", resolve));
    webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    await new Promise((resolve) => webhook.close(resolve));
  });

  const parent = "projects/webhooked/locations/global";
  const server = useTestServer("grpc");

  it("sends the turn to the enabled webhook and stores its reply as the automated agent's message", async () => {
    const { clients } = server;
    await clients.fulfillments.updateFulfillment({
      fulfillment: {
        name: "projects/webhooked/agent/fulfillment",
        enabled: true,
        fulfillment: { case: "genericWebService", value: { uri: webhookUrl, username: "hook", password: "secret" } },
      },
      updateMask: { paths: ["enabled", "generic_web_service"] },
    });
    const conversation = await startConversation(clients, parent, await createAgentProfile(clients, parent));
    const bot = await clients.participants.createParticipant({ parent: conversation.name, participant: { role: AUTOMATED_AGENT } });
    const caller = await clients.participants.createParticipant({ parent: conversation.name, participant: { role: END_USER } });

    const answer = await clients.participants.analyzeContent({
      participant: caller.name,
      input: { case: "textInput", value: { text: "where is my order", languageCode: "en-US" } },
      queryParams: { payload: { channel: "web" } },
    });
    expect(answer.replyText).toBe("Webhook heard: where is my order");
    expect(answer.automatedAgentReply?.detectIntentResponse?.queryResult?.fulfillmentText).toBe("Webhook heard: where is my order");
    expect(answer.automatedAgentReply?.detectIntentResponse?.queryResult?.webhookPayload).toEqual({ from: "webhook" });

    expect(received).toHaveLength(1);
    expect(received[0]?.authorization).toBe(`Basic ${Buffer.from("hook:secret").toString("base64")}`);
    expect(received[0]?.body).toMatchObject({
      queryResult: { queryText: "where is my order", languageCode: "en-US" },
      originalDetectIntentRequest: { payload: { channel: "web" } },
    });
    expect(String(received[0]?.body.session)).toContain(conversation.name.split("/").pop());

    const transcript = (await clients.conversations.listMessages({ parent: conversation.name })).messages;
    expect(transcript.map((message) => [message.participantRole, message.content, message.participant])).toEqual([
      [AUTOMATED_AGENT, "Webhook heard: where is my order", bot.name],
      [END_USER, "where is my order", caller.name],
    ]);
  });

  it("answers the turn without a reply when the webhook fails, saying why in webhook_status", async () => {
    const { clients } = server;
    const conversation = await startConversation(clients, parent, await createAgentProfile(clients, parent));
    const caller = await clients.participants.createParticipant({ parent: conversation.name, participant: { role: END_USER } });
    const answer = await clients.participants.analyzeContent({
      participant: caller.name,
      input: { case: "textInput", value: { text: "fail please", languageCode: "en-US" } },
    });
    expect(answer.replyText).toBe("");
    expect(answer.automatedAgentReply?.detectIntentResponse?.webhookStatus?.code).not.toBe(0);
    const transcript = (await clients.conversations.listMessages({ parent: conversation.name })).messages;
    expect(transcript.map((message) => message.participantRole)).toEqual([END_USER]);
  });
});

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
}
