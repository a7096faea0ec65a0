// The load generator, run as a child process so it never shares the event
// loop or the memory figures of the service it measures. It drives either
// the service over gRPC (HTTP/2) or Postgres straight through a pg Pool,
// at a fixed concurrency for a fixed time, and reports what it saw.
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import pg from "pg";
import { Conversations } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { generateId } from "../src/domain/ids.js";
import type { LoadReport, LoadRequest } from "./protocol.js";

async function runLoad(request: LoadRequest): Promise<LoadReport> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const pickName = () => request.names[next++ % request.names.length] ?? "";
  let call: () => Promise<unknown>;
  let close = async () => {};

  if (request.target === "service") {
    const client = createClient(Conversations, createGrpcTransport({ baseUrl: request.baseUrl }));
    const { parent, profile } = request;
    call = {
      get: () => client.getConversation({ name: pickName() }),
      create: () => client.createConversation({ parent, conversation: { conversationProfile: profile } }),
      complete: () => client.completeConversation({ name: pickName() }),
      list: () => client.listConversations({ parent, pageSize: 100 }),
      listFiltered: () => client.listConversations({ parent, pageSize: 100, filter: request.filter }),
    }[request.operation];
  } else {
    // The limit: the statement the service sends for this RPC, as the service sends it.
    const pool = new pg.Pool({ connectionString: request.databaseUrl, max: request.poolSize });
    const { statement, idIndex, idKind } = request;
    call = () => {
      const values = [...statement.values];
      if (idIndex !== undefined) values[idIndex] = idKind === "new" ? generateId() : (pickName().split("/").pop() ?? "");
      return pool.query({ name: statement.name, text: statement.text, values });
    };
    close = () => pool.end();
  }

  const deadline = performance.now() + request.seconds * 1000;
  await Promise.all(
    Array.from({ length: request.concurrency }, async () => {
      while (performance.now() < deadline) {
        const started = performance.now();
        try {
          await call();
          latencies.push(performance.now() - started);
        } catch {
          errors++;
        }
      }
    }),
  );
  await close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { count: latencies.length, errors, rps: latencies.length / request.seconds, p50: at(0.5), p99: at(0.99) };
}

process.on("message", (message: LoadRequest) => {
  runLoad(message).then(
    (report) => process.send?.(report),
    (error: unknown) => process.send?.({ count: 0, errors: 1, rps: 0, p50: 0, p99: 0, failure: String(error) }),
  );
});
