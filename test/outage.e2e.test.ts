import { Code, ConnectError } from "@connectrpc/connect";
import { pino } from "pino";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConversationProfile } from "../src/gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import { ErrorInfoSchema } from "../src/gen/google/rpc/error_details_pb.js";
import { startServer, type Server } from "../src/server.js";
import { createPostgresDatabase } from "../src/store/postgres-database.js";
import { activeStatementsAfterCancel } from "./support/active-statements.js";
import { failureOf } from "./support/errors.js";
import { createHumanProfile, startConversation } from "./support/fixtures.js";
import { createClients, type Clients } from "./support/test-server.js";
import { createThrowawayPostgres, throwawayPostgresUnavailable, type ThrowawayPostgres } from "./support/throwaway-postgres.js";

// A real Postgres stopped and started under the running service (DESIGN §4.9,
// §8): calls fail fast with UNAVAILABLE, nothing crashes, and the service
// recovers by itself. Deadlines cancel the statement in the database.

const unavailable = throwawayPostgresUnavailable();

describe.skipIf(unavailable !== undefined)(`database outages${unavailable === undefined ? "" : ` (skipped: ${unavailable})`}`, () => {
  const parent = "projects/outage/locations/global";
  let cluster: ThrowawayPostgres;
  let server: Server;
  let clients: Clients;
  let profile: ConversationProfile;
  const internalErrors: unknown[] = [];

  beforeAll(async () => {
    cluster = await createThrowawayPostgres();
    server = await startServer({
      database: createPostgresDatabase({ url: cluster.url, connectTimeoutMs: 2000 }),
      host: "127.0.0.1",
      port: 0,
      conversationTtlSeconds: 86_400,
      purgeAfterSeconds: 86_400,
      log: pino({ level: "silent" }),
      onInternalError: (error) => internalErrors.push(error),
    });
    clients = createClients("grpc", `http://127.0.0.1:${server.port}`);
    profile = await createHumanProfile(clients, parent);
  }, 60_000);
  afterAll(async () => {
    await server?.close(100);
    await server?.database.close().catch(() => undefined);
    await cluster?.destroy();
  });

  it("fails fast with UNAVAILABLE while the database is down, and recovers by itself", async () => {
    await startConversation(clients, parent, profile, "before-outage");
    await cluster.stop();

    const started = Date.now();
    const failures = await Promise.all(
      Array.from({ length: 20 }, (_, i) => failureOf(startConversation(clients, parent, profile, `during-${i}`))),
    );
    const elapsed = Date.now() - started;
    expect(failures.map((failure) => failure.code)).toEqual(Array.from({ length: 20 }, () => Code.Unavailable));
    // Each says why, as the driver saw it (a refused connection, one that ended).
    for (const failure of failures) expect(failure.findDetails(ErrorInfoSchema)[0]?.metadata.cause).toBeTruthy();
    expect(elapsed).toBeLessThan(3000);
    expect((await fetch(`http://127.0.0.1:${server.port}/readyz`)).status).toBe(503);
    expect((await fetch(`http://127.0.0.1:${server.port}/healthz`)).status).toBe(200);

    await cluster.start();
    const recovered = await startConversation(clients, parent, profile, "after-outage");
    expect(recovered.name).toBe(`${parent}/conversations/after-outage`);
    expect((await clients.conversations.getConversation({ name: `${parent}/conversations/before-outage` })).name).toContain("before-outage");
    expect((await fetch(`http://127.0.0.1:${server.port}/readyz`)).status).toBe(200);
    expect(internalErrors).toEqual([]);
  }, 60_000);

  it("answers DEADLINE_EXCEEDED at the deadline and cancels the statement in the database", async () => {
    const conversation = await startConversation(clients, parent, profile, "locked-row");
    const blocker = new pg.Client({ connectionString: cluster.url });
    await blocker.connect();
    try {
      // Hold the row lock so CompleteConversation's UPDATE has to wait.
      await blocker.query("BEGIN");
      await blocker.query("SELECT 1 FROM conversations WHERE id = 'locked-row' FOR UPDATE");
      const started = Date.now();
      const error = await failureOf(clients.conversations.completeConversation({ name: conversation.name }, { timeoutMs: 300 }));
      expect(ConnectError.from(error).code).toBe(Code.DeadlineExceeded);
      expect(Date.now() - started).toBeLessThan(2000);
      // The waiting UPDATE is gone from the server, not left queued behind the lock.
      expect(await activeStatementsAfterCancel(blocker, "%UPDATE conversations SET end_time%")).toBe(0);
      await blocker.query("ROLLBACK");
      expect((await clients.conversations.getConversation({ name: conversation.name })).endTime).toBeUndefined();
    } finally {
      await blocker.end();
    }
  });
});
