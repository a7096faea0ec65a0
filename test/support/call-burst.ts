import { setTimeout as delay } from "node:timers/promises";
import { create } from "@bufbuild/protobuf";
import { ConnectError } from "@connectrpc/connect";
import type { ConversationProfile } from "../../src/gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import { ConversationSchema } from "../../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import type { Clients } from "./test-server.js";

// Callers that each create a conversation and complete it, over and over,
// every call with a deadline (as Google's clients always send one), keeping
// what the service acknowledged so that a test can read it all back after a
// fault.

export interface BurstOutcome {
  /** Conversations whose CreateConversation was answered OK. */
  readonly created: readonly string[];
  /** Conversations whose CompleteConversation was answered OK. */
  readonly completed: readonly string[];
  readonly failures: readonly ConnectError[];
}

export interface CallBurst {
  /** Resolves once `count` more calls have been answered OK than when it was called; rejects after `timeoutMs`. */
  succeeded(count: number, timeoutMs?: number): Promise<void>;
  /** Lets every caller finish the call it is in, then stops. */
  stop(): Promise<BurstOutcome>;
}

export function startCallBurst(clients: Clients, profile: ConversationProfile, options: { callers: number; timeoutMs: number; prefix: string }): CallBurst {
  const parent = profile.name.split("/conversationProfiles/")[0] ?? "";
  const created: string[] = [];
  const completed: string[] = [];
  const failures: ConnectError[] = [];
  let successes = 0;
  let waiters: Array<() => void> = [];
  let stopping = false;
  const succeed = () => {
    successes++;
    const due = waiters;
    waiters = [];
    due.forEach((wake) => wake());
  };
  const call = async <T>(work: Promise<T>): Promise<T | undefined> => {
    try {
      const result = await work;
      succeed();
      return result;
    } catch (error) {
      failures.push(ConnectError.from(error));
      // While the database is away, do not spin: a client backs off too.
      await delay(20);
      return undefined;
    }
  };
  const caller = async (index: number) => {
    for (let turn = 0; !stopping; turn++) {
      const conversationId = `${options.prefix}-${index}-${turn}`;
      const conversation = await call(
        clients.conversations.createConversation(
          { parent, conversationId, conversation: create(ConversationSchema, { conversationProfile: profile.name }) },
          { timeoutMs: options.timeoutMs },
        ),
      );
      if (conversation === undefined) continue;
      created.push(conversation.name);
      const done = await call(clients.conversations.completeConversation({ name: conversation.name }, { timeoutMs: options.timeoutMs }));
      if (done !== undefined) completed.push(done.name);
    }
  };
  const running = Promise.all(Array.from({ length: options.callers }, (_, index) => caller(index)));
  return {
    succeeded(count, timeoutMs = 10_000) {
      const target = successes + count;
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`fewer than ${count} calls succeeded within ${timeoutMs} ms`)), timeoutMs);
        const check = () => {
          if (successes < target) {
            waiters.push(check);
            return;
          }
          clearTimeout(timer);
          resolve();
        };
        check();
      });
    },
    async stop() {
      stopping = true;
      await running;
      return { created, completed, failures };
    },
  };
}
