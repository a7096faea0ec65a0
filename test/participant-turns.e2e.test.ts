import { Code } from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { AutomatedAgentReplySchema } from "../src/gen/google/cloud/dialogflow/v2/participant_pb.js";
import type { VirtualAgentTurn } from "../src/services/virtual-agent.js";
import { sweepOnce } from "../src/store/sweeps.js";
import { expectInvalidArgument } from "./support/errors.js";
import { createAgentProfile, createHumanProfile, startConversation } from "./support/fixtures.js";
import { useTestServer } from "./support/test-server.js";

// What happens around a turn: the virtual agent seam in VIRTUAL_AGENT_STAGE,
// and the purge taking a conversation's participants and messages with it.

const END_USER = 3;
const AUTOMATED_AGENT = 2;
const text = (value: string) => ({ case: "textInput" as const, value: { text: value, languageCode: "en-US" } });

describe("A virtual agent answering END_USER turns", () => {
  const parent = "projects/virtual/locations/global";
  const turns: VirtualAgentTurn[] = [];
  const server = useTestServer("grpc", {
    virtualAgent: async (turn) => {
      turns.push(turn);
      return {
        replyText: `You said: ${turn.text}`,
        reply: create(AutomatedAgentReplySchema, { automatedAgentReplyType: 2, detectIntentResponse: { responseId: "r1", queryResult: { fulfillmentText: `You said: ${turn.text}` } } }),
      };
    },
  });

  it("hands the stored turn over once and keeps its reply in the transcript and for a repeated request_id", async () => {
    const { clients } = server;
    const profile = await createAgentProfile(clients, parent);
    const conversation = await startConversation(clients, parent, profile);
    const agent = await clients.participants.createParticipant({ parent: conversation.name, participant: { role: AUTOMATED_AGENT } });
    const caller = await clients.participants.createParticipant({ parent: conversation.name, participant: { role: END_USER } });
    const request = {
      participant: caller.name,
      input: text("I need help"),
      requestId: "virtual-1",
      queryParams: { payload: { channel: "web" } },
    };
    const first = await clients.participants.analyzeContent(request);
    expect(first.replyText).toBe("You said: I need help");
    expect(first.automatedAgentReply?.detectIntentResponse?.queryResult?.fulfillmentText).toBe("You said: I need help");
    expect(await clients.participants.analyzeContent(request)).toEqual(first);
    expect(turns).toHaveLength(1);
    expect(turns[0]).toMatchObject({
      conversation: conversation.name,
      participant: caller.name,
      text: "I need help",
      languageCode: "en-US",
      agent: profile.automatedAgentConfig?.agent,
      queryParams: { payload: { channel: "web" } },
    });
    const transcript = (await clients.conversations.listMessages({ parent: conversation.name })).messages;
    expect(transcript.map((message) => [message.participantRole, message.content, message.participant])).toEqual([
      [AUTOMATED_AGENT, "You said: I need help", agent.name],
      [END_USER, "I need help", caller.name],
    ]);
  });

  it("refuses text over Google's 256-character limit for a virtual agent, and stores nothing", async () => {
    const { clients } = server;
    const profile = await createAgentProfile(clients, parent);
    const conversation = await startConversation(clients, parent, profile);
    const caller = await clients.participants.createParticipant({ parent: conversation.name, participant: { role: END_USER } });
    await expectInvalidArgument(clients.participants.analyzeContent({ participant: caller.name, input: text("x".repeat(257)) }), "text_input.text", /256/);
    expect((await clients.conversations.listMessages({ parent: conversation.name })).messages).toEqual([]);
  });
});

describe("A virtual-agent conversation with no virtual agent set", () => {
  const parent = "projects/unanswered/locations/global";
  const server = useTestServer("grpc");

  it("stores the END_USER turn and gives no automated reply", async () => {
    const { clients } = server;
    const conversation = await startConversation(clients, parent, await createAgentProfile(clients, parent));
    const caller = await clients.participants.createParticipant({ parent: conversation.name, participant: { role: END_USER } });
    const response = await clients.participants.analyzeContent({ participant: caller.name, input: text("Hello?") });
    expect(response).toMatchObject({ replyText: "", humanAgentSuggestionResults: [] });
    expect(response.automatedAgentReply).toBeUndefined();
    expect((await clients.conversations.listMessages({ parent: conversation.name })).messages.map((m) => m.content)).toEqual(["Hello?"]);
  });
});

describe("The purge", () => {
  const parent = "projects/purged/locations/global";
  const server = useTestServer("grpc", { purgeAfterSeconds: 0 });

  it("deletes a completed conversation's messages in bounded batches, then the conversation and its participants", async () => {
    const { clients, test } = server;
    const profile = await createHumanProfile(clients, parent);
    const conversation = await startConversation(clients, parent, profile, "purged-call");
    const caller = await clients.participants.createParticipant({ parent: conversation.name, participant: { role: END_USER } });
    for (let i = 0; i < 5; i += 1) await clients.participants.analyzeContent({ participant: caller.name, input: text(`turn ${i}`) });
    await clients.conversations.completeConversation({ name: conversation.name });

    const counts = await sweepOnce(test.testDatabase.database, { ttlSeconds: 86_400, purgeAfterSeconds: 0, batchSize: 2 });
    expect(counts).toMatchObject({ purged: 1, purgedMessages: 5 });
    const left = await test.testDatabase.database.query<{ n: number }>({
      text: `SELECT (SELECT count(*) FROM messages WHERE project = 'purged') + (SELECT count(*) FROM participants WHERE project = 'purged') AS n`,
    });
    expect(Number(left[0]?.n)).toBe(0);

    // A new conversation under the same ID starts with an empty transcript.
    const again = await startConversation(clients, parent, profile, "purged-call");
    expect((await clients.conversations.listMessages({ parent: again.name })).messages).toEqual([]);
    const gone = await clients.participants.getParticipant({ name: caller.name }).catch((error: { code: Code }) => error.code);
    expect(gone).toBe(Code.NotFound);
  });
});
