import { Code, ConnectError } from "@connectrpc/connect";
import { pino } from "pino";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseBootstrap } from "../src/domain/bootstrap.js";
import { Conversation_LifecycleState as State, type Conversation } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { startServer, type Server } from "../src/server.js";
import { createPostgresDatabase } from "../src/store/postgres-database.js";
import { createClients, startTestServer, type Clients, type TestServer } from "./support/test-server.js";

// Two replicas of the service on one Postgres, each with its own pool and its
// own sweep, under concurrent creates, completes and sweeps: the guarantees
// of one replica hold (DESIGN §5: nothing in process memory is needed for
// correctness).

const postgres = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
const parent = "projects/replicas/locations/global";
const NUMBERS = Array.from({ length: 8 }, (_, i) => `+1555020${i}`);
const bootstrap = parseBootstrap({
  conversationProfiles: [
    { parent, id: "lines", displayName: "Lines", phoneNumbers: NUMBERS },
    { parent, id: "plain", displayName: "Plain" },
  ],
});
const TTL_SECONDS = 3;
const micros = (conversation: Conversation) =>
  conversation.endTime === undefined ? undefined : `${conversation.endTime.seconds}.${conversation.endTime.nanos}`;

describe.runIf(postgres)("two replicas on one Postgres", () => {
  let first: TestServer;
  let second: Server;
  let secondDatabase: ReturnType<typeof createPostgresDatabase>;
  let replicas: Clients[];
  const internalErrors: unknown[] = [];

  beforeAll(async () => {
    const common = { conversationTtlSeconds: TTL_SECONDS, sweepIntervalSeconds: 0.2, bootstrap };
    first = await startTestServer(common);
    secondDatabase = createPostgresDatabase({ url: first.testDatabase.url ?? "" });
    second = await startServer({
      ...common,
      database: secondDatabase,
      host: "127.0.0.1",
      port: 0,
      purgeAfterSeconds: 30 * 86_400,
      log: pino({ level: "silent" }),
      onInternalError: (error) => internalErrors.push(error),
    });
    replicas = [createClients("grpc", first.baseUrl), createClients("connect (http/1.1)", `http://127.0.0.1:${second.port}`)];
  });
  afterAll(async () => {
    expect([...first.internalErrors, ...internalErrors]).toEqual([]);
    await second.close(100);
    await secondDatabase.close();
    await first.stop();
  });

  it("never gives one number to two running conversations, loses no create, and completes each once", async () => {
    const replica = (i: number) => replicas[i % 2] as Clients;
    const profiles = { lines: `${parent}/conversationProfiles/lines`, plain: `${parent}/conversationProfiles/plain` };

    // 30 creates on the 8-number profile and 40 plain ones, spread over both replicas at once.
    const creates = await Promise.allSettled([
      ...Array.from({ length: 30 }, (_, i) =>
        replica(i).conversations.createConversation({ parent, conversationId: `line-${i}`, conversation: { conversationProfile: profiles.lines } }),
      ),
      ...Array.from({ length: 40 }, (_, i) =>
        replica(i).conversations.createConversation({ parent, conversationId: `plain-${i}`, conversation: { conversationProfile: profiles.plain } }),
      ),
    ]);
    const acknowledged = creates.flatMap((outcome) => (outcome.status === "fulfilled" ? [outcome.value] : []));
    for (const outcome of creates) {
      if (outcome.status === "rejected") expect(ConnectError.from(outcome.reason).code).toBe(Code.ResourceExhausted);
    }
    const withNumbers = acknowledged.filter((c) => c.phoneNumber !== undefined);
    expect(withNumbers.length).toBe(NUMBERS.length);
    expect(new Set(withNumbers.map((c) => c.phoneNumber?.phoneNumber)).size).toBe(NUMBERS.length);
    expect(acknowledged.filter((c) => c.name.includes("/plain-"))).toHaveLength(40);

    // Every running conversation is completed from both replicas at the same moment.
    const running = acknowledged.slice(0, 20);
    const pairs = await Promise.all(
      running.map((conversation) =>
        Promise.all([0, 1].map((i) => replica(i).conversations.completeConversation({ name: conversation.name }))),
      ),
    );
    for (const [a, b] of pairs) {
      expect(a?.lifecycleState).toBe(State.COMPLETED);
      expect(micros(a as Conversation)).toBe(micros(b as Conversation));
    }

    // A freed number goes to exactly one of the creates racing for it.
    const again = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) =>
        replica(i).conversations.createConversation({ parent, conversationId: `again-${i}`, conversation: { conversationProfile: profiles.lines } }),
      ),
    );
    acknowledged.push(...again.flatMap((outcome) => (outcome.status === "fulfilled" ? [outcome.value] : [])));
    const sql = new pg.Client({ connectionString: first.testDatabase.url });
    await sql.connect();
    try {
      const { rows: doubled } = await sql.query(
        "SELECT phone_number FROM conversations WHERE end_time IS NULL AND phone_number IS NOT NULL GROUP BY phone_number HAVING count(*) > 1",
      );
      expect(doubled).toEqual([]);

      // Both sweeps run past the time-to-live: every conversation ends once, and the end never moves.
      await new Promise((resolve) => setTimeout(resolve, (TTL_SECONDS + 1) * 1000));
      const read = async () => Promise.all(acknowledged.map((c) => replica(0).conversations.getConversation({ name: c.name })));
      const once = await read();
      await new Promise((resolve) => setTimeout(resolve, 600));
      const later = await read();
      expect(once.every((c) => c.lifecycleState === State.COMPLETED)).toBe(true);
      expect(later.map(micros)).toEqual(once.map(micros));
      for (const [i, [a]] of pairs.entries()) expect(micros(once[i] as Conversation)).toBe(micros(a as Conversation));
      const { rows: stored } = await sql.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM conversations WHERE project = 'replicas' AND end_time IS NOT NULL",
      );
      expect(stored[0]?.n).toBe(acknowledged.length);
      const { rows: held } = await sql.query("SELECT phone_number FROM profile_phone_numbers WHERE holder_id IS NOT NULL AND held_until > now()");
      expect(held).toEqual([]);
    } finally {
      await sql.end();
    }
  }, 60_000);
});
