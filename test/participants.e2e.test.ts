import { Code } from "@connectrpc/connect";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ParticipantSchema, Participant_Role } from "../src/gen/google/cloud/dialogflow/v2/participant_pb.js";
import { ErrorInfoSchema } from "../src/gen/google/rpc/error_details_pb.js";
import { expectInvalidArgument, expectResourceError, failureOf } from "./support/errors.js";
import { createHumanProfile, startConversation } from "./support/fixtures.js";
import { PROTOCOLS, useTestServer, type Clients } from "./support/test-server.js";

// Participants and AnalyzeContent through every protocol: request_id, the
// conversation's state, every refused input (nothing stored), the
// transcript's paging and filter, and UpdateParticipant's mask.

type ParticipantInit = MessageInitShape<typeof ParticipantSchema>;
const END_USER = 3;
const HUMAN_AGENT = 1;

const text = (value: string, languageCode = "") => ({ case: "textInput" as const, value: { text: value, languageCode } });

async function conversationWith(clients: Clients, parent: string, id = "") {
  const profile = await createHumanProfile(clients, parent);
  const conversation = await startConversation(clients, parent, profile, id);
  const caller = await clients.participants.createParticipant({ parent: conversation.name, participant: { role: END_USER } });
  return { conversation, caller };
}

async function transcriptOf(clients: Clients, conversation: string): Promise<string[]> {
  return (await clients.conversations.listMessages({ parent: conversation, pageSize: 1000 })).messages.map((message) => message.content);
}

describe.each(PROTOCOLS)("Participants over %s", (protocol) => {
  const parent = `projects/people-${protocol.replace(/[^a-z0-9]+/g, "-")}/locations/global`;
  const server = useTestServer(protocol);

  it("stores a turn once per request_id and answers the repeat with the same response", async () => {
    const { clients } = server;
    const { conversation, caller } = await conversationWith(clients, parent);
    const request = { participant: caller.name, input: text("Where is my order?", "en-GB"), requestId: "6f1c2f8e-request" };
    const first = await clients.participants.analyzeContent(request);
    const again = await clients.participants.analyzeContent(request);
    expect(again).toEqual(first);
    expect(first.message).toMatchObject({ content: "Where is my order?", languageCode: "en-GB", participant: caller.name, participantRole: END_USER });
    const other = await clients.participants.analyzeContent({ ...request, requestId: "another-request" });
    expect(other.message?.name).not.toBe(first.message?.name);
    expect(await transcriptOf(clients, conversation.name)).toEqual(["Where is my order?", "Where is my order?"]);
  });

  it("refuses a turn on a completed conversation with FAILED_PRECONDITION and stores nothing", async () => {
    const { clients } = server;
    const { conversation, caller } = await conversationWith(clients, parent);
    await clients.participants.analyzeContent({ participant: caller.name, input: text("Hello") });
    await clients.conversations.completeConversation({ name: conversation.name });
    const error = await failureOf(clients.participants.analyzeContent({ participant: caller.name, input: text("Anyone?") }));
    expect(Code[error.code]).toBe(Code[Code.FailedPrecondition]);
    expect(error.findDetails(ErrorInfoSchema)[0]?.reason).toBe("CONVERSATION_NOT_IN_PROGRESS");
    const late = await failureOf(clients.participants.createParticipant({ parent: conversation.name, participant: { role: HUMAN_AGENT } }));
    expect(Code[late.code]).toBe(Code[Code.FailedPrecondition]);
    expect(await transcriptOf(clients, conversation.name)).toEqual(["Hello"]);
  });

  it("takes the profile's language when the turn names none", async () => {
    const { clients } = server;
    const profile = await clients.profiles.createConversationProfile({ parent, conversationProfile: { displayName: "French", languageCode: "fr-FR" } });
    const conversation = await startConversation(clients, parent, profile);
    const caller = await clients.participants.createParticipant({ parent: conversation.name, participant: { role: END_USER } });
    const response = await clients.participants.analyzeContent({ participant: caller.name, input: text("Bonjour") });
    expect(response.message?.languageCode).toBe("fr-FR");
    expect(response.humanAgentSuggestionResults).toEqual([]);
  });

  it("refuses every bad input naming the field, and stores nothing", async () => {
    const { clients } = server;
    const { conversation, caller } = await conversationWith(clients, parent);
    const analyze = (request: Parameters<typeof clients.participants.analyzeContent>[0]) => clients.participants.analyzeContent(request);
    await expectInvalidArgument(analyze({ participant: "", input: text("x") }), "participant", /required/);
    await expectInvalidArgument(analyze({ participant: conversation.name, input: text("x") }), "participant", /not a valid name/);
    await expectInvalidArgument(analyze({ participant: `${conversation.name}/participants/x`, input: text("x") }), "participant", /invalid ID/);
    await expectInvalidArgument(analyze({ participant: caller.name }), "text_input", /required/);
    await expectInvalidArgument(analyze({ participant: caller.name, input: text("   ") }), "text_input.text", /required/);
    await expectInvalidArgument(analyze({ participant: caller.name, input: text("hi", "not a language") }), "text_input.language_code", /BCP-47/);
    await expectInvalidArgument(analyze({ participant: caller.name, input: text("hi"), requestId: "r".repeat(37) }), "request_id", /36/);
    await expectInvalidArgument(analyze({ participant: caller.name, input: text("hi"), requestId: "é" }), "request_id", /ASCII/);
    await expectResourceError(analyze({ participant: `${conversation.name}/participants/nobody`, input: text("x") }), Code.NotFound, `${conversation.name}/participants/nobody`);
    const otherConversation = conversation.name.replace(/conversations\/.*/, "conversations/nowhere");
    await expectResourceError(analyze({ participant: `${otherConversation}/participants/${caller.name.split("/").pop()}`, input: text("x") }), Code.NotFound, otherConversation);

    const create = (participant: ParticipantInit | undefined) => clients.participants.createParticipant({ parent: conversation.name, participant });
    await expectInvalidArgument(create(undefined), "participant", /required/);
    await expectInvalidArgument(create({}), "participant.role", /required/);
    await expectInvalidArgument(create({ role: 9 as Participant_Role }), "participant.role", /not a Participant.Role/);
    await expectInvalidArgument(create({ role: HUMAN_AGENT, obfuscatedExternalUserId: "u1" }), "participant.obfuscated_external_user_id", /END_USER/);
    await expectInvalidArgument(create({ role: END_USER, obfuscatedExternalUserId: "u".repeat(257) }), "participant.obfuscated_external_user_id", /256/);
    await expectInvalidArgument(clients.participants.createParticipant({ parent: "projects/x", participant: { role: END_USER } }), "parent", /not a valid name/);

    expect(await transcriptOf(clients, conversation.name)).toEqual([]);
    expect((await clients.participants.listParticipants({ parent: conversation.name })).participants.map((p) => p.name)).toEqual([caller.name]);
  });

  it("keeps role immutable and applies update masks as AIP-134 says", async () => {
    const { clients } = server;
    const { caller } = await conversationWith(clients, parent);
    const update = (participant: ParticipantInit, paths: string[]) =>
      clients.participants.updateParticipant({ participant: { name: caller.name, ...participant }, updateMask: { paths } });
    await expectInvalidArgument(update({ role: HUMAN_AGENT }, ["role"]), "participant.role", /immutable/);
    await expectInvalidArgument(update({}, []), "update_mask", /required/);
    await expectInvalidArgument(update({}, ["no_such_field"]), "update_mask", /names no field/);
    // The same role is no change; a field outside the mask is left as it is.
    const labelled = await update({ role: END_USER, sipRecordingMediaLabel: "left", agentDesktopSource: 2 }, ["role", "sipRecordingMediaLabel"]);
    expect(labelled).toMatchObject({ role: END_USER, sipRecordingMediaLabel: "left", agentDesktopSource: 0 });
    // "*" replaces every field, role included: it must be the stored one.
    await expectInvalidArgument(update({ obfuscatedExternalUserId: "hash" }, ["*"]), "participant.role", /immutable/);
    const everything = await update({ role: END_USER, obfuscatedExternalUserId: "hash", documentsMetadataFilters: { user: "agent" } }, ["*"]);
    expect(everything).toMatchObject({ role: END_USER, sipRecordingMediaLabel: "", obfuscatedExternalUserId: "hash", documentsMetadataFilters: { user: "agent" } });
    expect(await clients.participants.getParticipant({ name: caller.name })).toEqual(everything);

    const agent = await clients.participants.createParticipant({ parent: caller.name.replace(/\/participants\/.*/, ""), participant: { role: HUMAN_AGENT } });
    await expectInvalidArgument(
      clients.participants.updateParticipant({ participant: { name: agent.name, obfuscatedExternalUserId: "u1" }, updateMask: { paths: ["obfuscated_external_user_id"] } }),
      "participant.obfuscated_external_user_id",
      /END_USER/,
    );
  });

  it("pages the transcript newest first with stable ties, and filters on create_time", async () => {
    const { clients } = server;
    const { conversation, caller } = await conversationWith(clients, parent);
    const sent: string[] = [];
    for (let i = 0; i < 7; i += 1) {
      sent.push(`turn ${i}`);
      await clients.participants.analyzeContent({ participant: caller.name, input: text(`turn ${i}`) });
    }
    const seen: string[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const page = await clients.conversations.listMessages({ parent: conversation.name, pageSize: 3, pageToken });
      seen.push(...page.messages.map((message) => message.content));
      pageToken = page.nextPageToken;
      pages += 1;
    } while (pageToken !== "");
    expect(seen).toEqual([...sent].reverse());
    expect(pages).toBe(3);

    const all = (await clients.conversations.listMessages({ parent: conversation.name })).messages;
    const third = all[4]!;
    const micros = Number(third.createTime!.seconds) * 1_000_000 + third.createTime!.nanos / 1000;
    const later = await clients.conversations.listMessages({ parent: conversation.name, filter: `create_time_epoch_microseconds > ${micros}` });
    expect(later.messages.map((message) => message.content)).toEqual(all.slice(0, 4).map((message) => message.content));
    const rfc3339 = timestampDate(third.createTime!).toISOString();
    const upTo = await clients.conversations.listMessages({ parent: conversation.name, filter: `create_time <= "${rfc3339.replace(/Z$/, "999Z")}"` });
    expect(upTo.messages.map((message) => message.content)).toEqual(all.slice(4).map((message) => message.content));

    // A token is bound to its conversation and filter; either spelling of the conversation takes it.
    const first = await clients.conversations.listMessages({ parent: conversation.name, pageSize: 2 });
    const otherSpelling = conversation.name.replace("/locations/global", "");
    const next = await clients.conversations.listMessages({ parent: otherSpelling, pageSize: 2, pageToken: first.nextPageToken });
    expect(next.messages.map((message) => message.content)).toEqual(seen.slice(2, 4));
    expect(next.messages[0]?.name.startsWith(`${otherSpelling}/messages/`)).toBe(true);
    expect(next.messages[0]?.participant).toBe(caller.name.replace("/locations/global", ""));
    await expectInvalidArgument(
      clients.conversations.listMessages({ parent: conversation.name, pageToken: first.nextPageToken, filter: "create_time_epoch_microseconds > 1" }),
      "page_token",
      /not a token/,
    );
  });

  it("lists participants oldest first with page tokens, under both name forms", async () => {
    const { clients } = server;
    const { conversation, caller } = await conversationWith(clients, parent);
    const agent = await clients.participants.createParticipant({ parent: conversation.name, participant: { role: HUMAN_AGENT } });
    const shortName = conversation.name.replace("/locations/global", "");
    const first = await clients.participants.listParticipants({ parent: shortName, pageSize: 1 });
    expect(first.participants.map((p) => p.name)).toEqual([caller.name.replace("/locations/global", "")]);
    const second = await clients.participants.listParticipants({ parent: conversation.name, pageSize: 1, pageToken: first.nextPageToken });
    expect(second).toMatchObject({ participants: [{ name: agent.name, role: HUMAN_AGENT }], nextPageToken: "" });
    await expectResourceError(clients.participants.listParticipants({ parent: `${parent}/conversations/nowhere` }), Code.NotFound, `${parent}/conversations/nowhere`);
  });
});

describe("Participants past the time-to-live", () => {
  const parent = "projects/people-ttl/locations/global";
  const server = useTestServer("grpc", { conversationTtlSeconds: 1 });

  it("refuses a turn once the conversation's time-to-live has passed, before any sweep, and stores nothing", async () => {
    const { clients } = server;
    const { conversation, caller } = await conversationWith(clients, parent);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const error = await failureOf(clients.participants.analyzeContent({ participant: caller.name, input: text("Too late") }));
    expect(Code[error.code]).toBe(Code[Code.FailedPrecondition]);
    expect(await transcriptOf(clients, conversation.name)).toEqual([]);
  });
});

describe("StreamingAnalyzeContent", () => {
  const parent = "projects/people-stream/locations/global";
  const server = useTestServer("grpc");

  it("answers a text_config then input_text stream as AnalyzeContent does", async () => {
    const { clients } = server;
    const { conversation, caller } = await conversationWith(clients, parent);
    async function* requests() {
      yield { participant: caller.name, config: { case: "textConfig" as const, value: { languageCode: "en-US" } } };
      yield { input: { case: "inputText" as const, value: "Streamed hello" } };
    }
    const responses = [];
    for await (const response of clients.participants.streamingAnalyzeContent(requests())) responses.push(response);
    expect(responses).toHaveLength(1);
    expect(responses[0]?.message).toMatchObject({ content: "Streamed hello", languageCode: "en-US", participant: caller.name });
    expect(await transcriptOf(clients, conversation.name)).toEqual(["Streamed hello"]);
  });

  it("refuses audio with UNIMPLEMENTED", async () => {
    const { clients } = server;
    const { caller } = await conversationWith(clients, parent);
    async function* requests() {
      yield { participant: caller.name, config: { case: "audioConfig" as const, value: { languageCode: "en-US" } } };
    }
    const error = await failureOf((async () => {
      for await (const _ of clients.participants.streamingAnalyzeContent(requests())) void _;
    })());
    expect(Code[error.code]).toBe(Code[Code.Unimplemented]);
    expect(error.findDetails(ErrorInfoSchema)[0]?.reason).toBe("SPEECH_RECOGNITION_REQUIRED");
  });
});
