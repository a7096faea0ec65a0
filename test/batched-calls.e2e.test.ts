import { Code, ConnectError } from "@connectrpc/connect";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { parseBootstrap } from "../src/domain/bootstrap.js";
import { Conversation_ConversationStage as ConversationStage, Conversation_LifecycleState } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { ErrorInfoSchema } from "../src/gen/google/rpc/error_details_pb.js";
import { activeStatementsAfterCancel } from "./support/active-statements.js";
import { createHumanProfile, startConversation } from "./support/fixtures.js";
import { useTestServer } from "./support/test-server.js";

// Get, Create and AnalyzeContent calls that arrive together are answered by one statement
// (src/store/call-batcher.ts); each must still get its own, right answer.
const parent = "projects/batched/locations/global";
const lines = Array.from({ length: 10 }, (_, i) => `+1555020${String(i).padStart(4, "0")}`);
const bootstrap = parseBootstrap({
  conversationProfiles: [
    { parent, id: "ten-lines", displayName: "Ten lines", phoneNumbers: lines },
    { parent, id: "agent", displayName: "Agent", automatedAgentConfig: { agent: "projects/batched/agent" } },
    { parent, id: "humans", displayName: "Humans" },
  ],
});
const profileName = (id: string) => `${parent}/conversationProfiles/${id}`;

const settle = <T>(call: Promise<T>) =>
  call.then(
    (value) => ({ value }),
    (error: unknown) => ({ error: ConnectError.from(error) }),
  );

describe("GetConversation calls arriving together", () => {
  const server = useTestServer("grpc", { bootstrap });

  it("answers each call on its own while sending fewer statements than calls", async () => {
    const { clients } = server;
    const profile = await createHumanProfile(clients, parent);
    const started = await Promise.all(Array.from({ length: 30 }, (_, i) => startConversation(clients, parent, profile, `together-${i}`)));
    const completed = new Set(started.slice(0, 5).map((conversation) => conversation.name));
    await Promise.all([...completed].map((name) => clients.conversations.completeConversation({ name })));

    // Every conversation twice (once in each spelling of the global location) and names that do not exist.
    const asked = [
      ...started.map((conversation) => conversation.name),
      ...started.map((conversation) => conversation.name.replace("/locations/global", "")),
      ...Array.from({ length: 10 }, (_, i) => `${parent}/conversations/missing-${i}`),
    ];
    const { database } = server.test.server;
    const before = database.statementCount;
    const answers = await Promise.all(
      asked.map((name) =>
        clients.conversations.getConversation({ name }).then(
          (conversation) => ({ name, conversation }),
          (error: unknown) => ({ name, error: ConnectError.from(error) }),
        ),
      ),
    );
    const statements = database.statementCount - before;

    expect(statements).toBeGreaterThanOrEqual(1);
    expect(statements).toBeLessThan(asked.length);
    for (const answer of answers) {
      if (answer.name.includes("/missing-")) {
        expect("error" in answer && answer.error.code).toBe(Code.NotFound);
        expect("error" in answer && answer.error.rawMessage).toContain(answer.name);
        continue;
      }
      if (!("conversation" in answer)) throw answer.error;
      expect(answer.conversation.name).toBe(answer.name);
      expect(answer.conversation.conversationProfile).toBe(profile.name);
      const located = answer.name.replace("projects/batched/conversations/", `${parent}/conversations/`);
      expect(answer.conversation.lifecycleState).toBe(
        completed.has(located) ? Conversation_LifecycleState.COMPLETED : Conversation_LifecycleState.IN_PROGRESS,
      );
    }
  });

  it("batches calls with deadlines too, each answered by its own deadline", async () => {
    const { clients } = server;
    const profile = await createHumanProfile(clients, parent);
    const conversation = await startConversation(clients, parent, profile, "with-deadline");
    const { database } = server.test.server;
    const before = database.statementCount;
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => clients.conversations.getConversation({ name: conversation.name }, i % 2 === 0 ? { timeoutMs: 10_000 } : {})),
    );
    expect(database.statementCount - before).toBeLessThan(8);
    expect(answers.map((answer) => answer.name)).toEqual(Array(8).fill(conversation.name));
  });

  it("cancels a batch's statement in the database once every call in it has passed its deadline", async () => {
    const { clients } = server;
    const profile = await createHumanProfile(clients, parent);
    const conversation = await startConversation(clients, parent, profile, "behind-a-lock");
    const blocker = new pg.Client({ connectionString: server.test.testDatabase.url });
    await blocker.connect();
    try {
      // Nobody reads conversations while this lock is held.
      await blocker.query("BEGIN");
      await blocker.query("LOCK TABLE conversations IN ACCESS EXCLUSIVE MODE");
      const started = Date.now();
      const answers = await Promise.all(
        [300, 400, 500].map((timeoutMs) => settle(clients.conversations.getConversation({ name: conversation.name }, { timeoutMs }))),
      );
      expect(answers.map((answer) => "error" in answer && answer.error.code)).toEqual(Array(3).fill(Code.DeadlineExceeded));
      expect(Date.now() - started).toBeLessThan(2000);
      expect(await activeStatementsAfterCancel(blocker, "%FROM conversations%")).toBe(0);
    } finally {
      await blocker.query("ROLLBACK");
      await blocker.end();
    }
    expect((await clients.conversations.getConversation({ name: conversation.name })).name).toBe(conversation.name);
  });
});

describe("CreateConversation calls arriving together", () => {
  const server = useTestServer("grpc", { bootstrap });
  const create = (profile: string, conversationId = "", conversationStage = ConversationStage.CONVERSATION_STAGE_UNSPECIFIED) =>
    settle(server.clients.conversations.createConversation({ parent, conversationId, conversation: { conversationProfile: profileName(profile), conversationStage } }));

  it("decides each call as a call alone would be decided, in fewer statements than calls", async () => {
    const { database } = server.test.server;
    const before = database.statementCount;
    const [numbered, humans, agent, twice, refusedStage, missing] = await Promise.all([
      Promise.all(Array.from({ length: 12 }, () => create("ten-lines"))),
      Promise.all(Array.from({ length: 5 }, () => create("humans"))),
      Promise.all(Array.from({ length: 3 }, () => create("agent", "", ConversationStage.VIRTUAL_AGENT_STAGE))),
      Promise.all(Array.from({ length: 3 }, () => create("humans", "asked-thrice"))),
      create("humans", "", ConversationStage.VIRTUAL_AGENT_STAGE),
      create("nobody"),
    ]);
    const statements = database.statementCount - before;
    expect(statements).toBeGreaterThanOrEqual(1);
    expect(statements).toBeLessThan(25);

    // Ten numbers for twelve calls: ten get distinct numbers, two are refused.
    const held = numbered.flatMap((answer) => ("value" in answer ? [answer.value.phoneNumber?.phoneNumber] : []));
    expect(held.sort()).toEqual([...lines].sort());
    const refused = numbered.flatMap((answer) => ("error" in answer ? [answer.error] : []));
    expect(refused.map((error) => error.code)).toEqual([Code.ResourceExhausted, Code.ResourceExhausted]);
    expect(refused[0]?.findDetails(ErrorInfoSchema)[0]?.reason).toBe("PHONE_NUMBERS_EXHAUSTED");

    for (const answer of humans) {
      if (!("value" in answer)) throw answer.error;
      expect(answer.value.conversationStage).toBe(ConversationStage.HUMAN_ASSIST_STAGE);
      expect(answer.value.phoneNumber).toBeUndefined();
      expect(answer.value.initialConversationProfile?.displayName).toBe("Humans");
    }
    expect(new Set(humans.map((answer) => ("value" in answer ? answer.value.name : ""))).size).toBe(5);
    for (const answer of agent) {
      if (!("value" in answer)) throw answer.error;
      expect(answer.value.conversationStage).toBe(ConversationStage.VIRTUAL_AGENT_STAGE);
    }

    // One ID asked for three times: one call creates it, two are told it exists.
    expect(twice.filter((answer) => "value" in answer)).toHaveLength(1);
    expect(twice.flatMap((answer) => ("error" in answer ? [answer.error.code] : []))).toEqual([Code.AlreadyExists, Code.AlreadyExists]);

    expect("error" in refusedStage && refusedStage.error.findDetails(ErrorInfoSchema)[0]?.reason).toBe("PROFILE_HAS_NO_AGENT");
    expect("error" in missing && missing.error.code).toBe(Code.NotFound);

    // What was acknowledged is stored, and only that.
    const stored = await server.clients.conversations.listConversations({ parent, pageSize: 100 });
    expect(stored.conversations).toHaveLength(10 + 5 + 3 + 1);
  });
});

describe("AnalyzeContent calls arriving together", () => {
  const server = useTestServer("grpc", { bootstrap });
  const turn = (participant: string, text: string, languageCode = "") =>
    settle(server.clients.participants.analyzeContent({ participant, input: { case: "textInput", value: { text, languageCode } } }));

  it("decides each turn as a turn alone would be decided, in fewer statements than calls", async () => {
    const { clients } = server;
    const german = await clients.profiles.createConversationProfile({ parent, conversationProfile: { displayName: "German", languageCode: "de-DE" } });
    const open = await startConversation(clients, parent, german, "turns-open");
    const closed = await startConversation(clients, parent, german, "turns-closed");
    const virtual = await clients.conversations.createConversation({ parent, conversation: { conversationProfile: profileName("agent") } });
    const join = (conversation: { name: string }, role: number) => clients.participants.createParticipant({ parent: conversation.name, participant: { role } });
    const [user, agent, leaver, caller] = await Promise.all([join(open, 3), join(open, 2), join(closed, 3), join(virtual, 3)]);
    await clients.conversations.completeConversation({ name: closed.name });

    const { database } = server.test.server;
    const before = database.statementCount;
    const [users, agents, late, strangers, nowhere, tooLong, short] = await Promise.all([
      Promise.all(Array.from({ length: 10 }, (_, i) => turn(user!.name, `user ${i}`, i % 2 === 0 ? "en-US" : ""))),
      Promise.all(Array.from({ length: 5 }, (_, i) => turn(agent!.name, `agent ${i}`))),
      Promise.all(Array.from({ length: 2 }, () => turn(leaver!.name, "too late"))),
      Promise.all(Array.from({ length: 2 }, (_, i) => turn(`${open.name}/participants/nobody-${i}`, "who?"))),
      turn(`${parent}/conversations/missing/participants/nobody`, "anyone?"),
      turn(caller!.name, "x".repeat(300)),
      turn(caller!.name, "hi"),
    ]);
    expect(database.statementCount - before).toBeLessThan(21);

    users.forEach((answer, i) => {
      if (!("value" in answer)) throw answer.error;
      expect(answer.value.message).toMatchObject({ content: `user ${i}`, participant: user!.name, participantRole: 3, languageCode: i % 2 === 0 ? "en-US" : "de-DE" });
    });
    agents.forEach((answer, i) => {
      if (!("value" in answer)) throw answer.error;
      expect(answer.value.message).toMatchObject({ content: `agent ${i}`, participant: agent!.name, participantRole: 2 });
    });
    expect(late.map((answer) => "error" in answer && answer.error.code)).toEqual([Code.FailedPrecondition, Code.FailedPrecondition]);
    expect(strangers.map((answer) => "error" in answer && answer.error.code)).toEqual([Code.NotFound, Code.NotFound]);
    expect("error" in nowhere && nowhere.error.code).toBe(Code.NotFound);
    expect("error" in tooLong && tooLong.error.findDetails(ErrorInfoSchema)[0]?.reason).toBe("TEXT_TOO_LONG");
    expect("value" in short && short.value.message?.content).toBe("hi");

    // What was acknowledged is stored, and only that.
    const transcript = await clients.conversations.listMessages({ parent: open.name });
    expect(new Set(transcript.messages.map((message) => message.name))).toEqual(
      new Set([...users, ...agents].map((answer) => ("value" in answer ? answer.value.message?.name : ""))),
    );
    expect((await clients.conversations.listMessages({ parent: closed.name })).messages).toEqual([]);
    expect((await clients.conversations.listMessages({ parent: virtual.name })).messages.map((message) => message.content)).toEqual(["hi"]);
  });
});
