import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { StreamingAnalyzeContentRequestSchema } from "../src/gen/google/cloud/dialogflow/v2/participant_pb.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createAgentProfile, createHumanProfile, startConversation } from "./support/fixtures.js";
import { useRowLockHolder } from "./support/row-lock-holder.js";
import { useTestServer, type Clients, type ProtocolName } from "./support/test-server.js";

// The caller's deadline ends all that its call started, not only the first
// statement: AnalyzeContent's webhook call and the statement storing the
// agent's reply come after the turn is stored, and StreamingAnalyzeContent
// stores its turn once it has read the stream.

const END_USER = 3;
const DEADLINE_MS = 700;
// The webhook's own bound (GOOGLE_WEBHOOK_LIMITS): an end well before it is the deadline's doing.
const WEBHOOK_BOUND_MS = 5000;
const ADD_AUTOMATED_REPLY = "%UPDATE messages SET automated_reply%";
const ADD_TURN = "%initial_profile -> 'humanAgentAssistantConfig'%";

type WebhookHandler = (request: IncomingMessage, response: ServerResponse) => void;

describe("The caller's deadline reaches everything AnalyzeContent does", () => {
  let webhook: Server;
  let webhookUrl = "";
  let onWebhook: WebhookHandler = (_request, response) => response.end("{}");
  beforeAll(async () => {
    webhook = createServer((request, response) => onWebhook(request, response));
    await new Promise<void>((resolve) => webhook.listen(0, "127.0.0.1", resolve));
    webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    webhook.closeAllConnections();
    await new Promise((resolve) => webhook.close(resolve));
  });

  describe.each<ProtocolName>(["grpc", "connect (http/1.1)"])("over %s", (protocol) => {
    const server = useTestServer(protocol);
    const rowLock = useRowLockHolder(() => server.test.testDatabase.url);
    const project = `deadline-${protocol.split(" ")[0]}`;
    const parent = `projects/${project}/locations/global`;
    let held: ServerResponse[] = [];
    afterEach(() => {
      for (const response of held) response.destroy();
      held = [];
    });

    /** An END_USER of a new VIRTUAL_AGENT_STAGE conversation whose agent's webhook is the test's. */
    async function endUserOfVirtualAgent(conversationId: string): Promise<string> {
      const { clients } = server;
      await clients.fulfillments.updateFulfillment({
        fulfillment: { name: `projects/${project}/agent/fulfillment`, enabled: true, fulfillment: { case: "genericWebService", value: { uri: webhookUrl } } },
        updateMask: { paths: ["enabled", "generic_web_service"] },
      });
      const conversation = await startConversation(clients, parent, await createAgentProfile(clients, parent), conversationId);
      return (await clients.participants.createParticipant({ parent: conversation.name, participant: { role: END_USER } })).name;
    }

    const analyze = (clients: Clients, participant: string) =>
      clients.participants.analyzeContent(
        { participant, input: { case: "textInput", value: { text: "are you there", languageCode: "en-US" } } },
        { timeoutMs: DEADLINE_MS },
      );

    it("ends the webhook call at the deadline, well before the webhook's own bound", async () => {
      const participant = await endUserOfVirtualAgent(`${project}-webhook`);
      let arrived = 0;
      const closed = new Promise<number>((resolve) => {
        onWebhook = (request, response) => {
          arrived = Date.now();
          request.resume();
          held.push(response);
          response.once("close", () => resolve(Date.now()));
        };
      });
      await expect(analyze(server.clients, participant)).rejects.toMatchObject({ code: Code.DeadlineExceeded });
      const ended = await Promise.race([closed, sleep(WEBHOOK_BOUND_MS / 2).then(() => undefined)]);
      expect(arrived).toBeGreaterThan(0);
      expect(ended, "the webhook's connection was still open").toBeDefined();
      expect((ended ?? Infinity) - arrived).toBeLessThan(WEBHOOK_BOUND_MS / 2);
    });

    it("cancels the statement storing the agent's reply at the deadline", async () => {
      const conversationId = `${project}-reply`;
      const participant = await endUserOfVirtualAgent(conversationId);
      // The turn is stored when the webhook is called: locking its conversation then holds back only the reply's statement.
      onWebhook = (request, response) => {
        request.resume();
        void rowLock.lock(conversationId).then(() => response.end(JSON.stringify({ fulfillmentText: "too late" })));
      };
      try {
        await expect(analyze(server.clients, participant)).rejects.toMatchObject({ code: Code.DeadlineExceeded });
        expect(await rowLock.waitingStatements(ADD_AUTOMATED_REPLY)).toBe(0);
      } finally {
        await rowLock.release();
      }
      const transcript = await server.clients.conversations.listMessages({ parent: `${parent}/conversations/${conversationId}` });
      expect(transcript.messages.map((message) => message.content)).toEqual(["are you there"]);
    });
  });

  describe("StreamingAnalyzeContent over grpc", () => {
    const server = useTestServer("grpc");
    const rowLock = useRowLockHolder(() => server.test.testDatabase.url);
    const parent = "projects/deadline-streaming/locations/global";

    it("cancels the statement storing the turn at the deadline", async () => {
      const { clients } = server;
      const conversationId = "deadline-streaming-turn";
      const conversation = await startConversation(clients, parent, await createHumanProfile(clients, parent), conversationId);
      const participant = await clients.participants.createParticipant({ parent: conversation.name, participant: { role: END_USER } });
      await rowLock.lock(conversationId);
      try {
        const requests = async function* (): AsyncGenerator<MessageInitShape<typeof StreamingAnalyzeContentRequestSchema>> {
          yield { participant: participant.name, config: { case: "textConfig", value: { languageCode: "en-US" } }, input: { case: "inputText", value: "hello" } };
        };
        const answers = clients.participants.streamingAnalyzeContent(requests(), { timeoutMs: DEADLINE_MS });
        const drained = (async () => {
          for await (const answer of answers) void answer;
        })();
        await expect(drained).rejects.toSatisfy((error: unknown) => ConnectError.from(error).code === Code.DeadlineExceeded);
        expect(await rowLock.waitingStatements(ADD_TURN)).toBe(0);
      } finally {
        await rowLock.release();
      }
      expect((await clients.conversations.listMessages({ parent: conversation.name })).messages).toEqual([]);
    });
  });
});
