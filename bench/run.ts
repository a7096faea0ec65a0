// npm run bench: the service on a real Postgres, driven over gRPC, side by
// side with the same SQL sent straight to Postgres (the limit we aim for).
import { fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import { pino } from "pino";
import pg from "pg";
import { createHumanProfileDirect, seedConversations } from "./seed.js";
import { measureDepth } from "./depth.js";
import { recordingDatabase } from "./recording-database.js";
import type { LoadReport, LoadRequest, Operation, RecordedStatement } from "./protocol.js";
import { startServer } from "../src/server.js";
import { createPostgresDatabase } from "../src/store/postgres-database.js";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Conversations } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";

const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONCURRENCIES = (process.env.BENCH_CONCURRENCY ?? "1,16,64").split(",").map(Number);
const POOL_SIZE = Number(process.env.BENCH_POOL_SIZE ?? 20);
const SEEDED = 10_000;
const OPERATIONS: readonly Operation[] = ["get", "create", "complete", "list", "listFiltered"];
const FILTER = 'lifecycle_state = "IN_PROGRESS" AND conversation_stage = HUMAN_ASSIST_STAGE';

interface Row {
  operation: Operation;
  concurrency: number;
  service: LoadReport;
  limit: LoadReport;
  ratio: number;
}

async function main(): Promise<void> {
  const name = `bench_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const loader = fork(new URL("./load.ts", import.meta.url).pathname, [], { execArgv: ["--import", "tsx"] });
  try {
    const database = recordingDatabase(createPostgresDatabase({ url: databaseUrl, maxConnections: POOL_SIZE }));
    const server = await startServer({
      database,
      host: "127.0.0.1",
      port: 0,
      conversationTtlSeconds: 86_400,
      purgeAfterSeconds: 30 * 86_400,
      log: pino({ level: "silent" }),
      onInternalError: (error) => console.error(error),
    });
    const baseUrl = `http://127.0.0.1:${server.port}`;
    const parent = "projects/bench/locations/global";
    const profile = await createHumanProfileDirect(baseUrl, parent);
    const names = await seedConversations(databaseUrl, parent, profile, SEEDED);

    // One call of each RPC through the recording database gives the exact
    // statement (text, name, values) the limit phase replays.
    const client = createClient(Conversations, createGrpcTransport({ baseUrl }));
    const record = async (call: () => Promise<unknown>): Promise<RecordedStatement> => {
      const before = database.statementCount;
      await call();
      if (database.statementCount - before !== 1) throw new Error("an RPC issued more than one SQL statement");
      return database.last();
    };
    const statements: Record<Operation, { statement: RecordedStatement; idIndex: number | undefined; idKind: "new" | "seeded" }> = {
      get: { statement: await record(() => client.getConversation({ name: names[0] ?? "" })), idIndex: 4, idKind: "seeded" },
      create: {
        statement: await record(() => client.createConversation({ parent, conversation: { conversationProfile: profile } })),
        idIndex: 3,
        idKind: "new",
      },
      complete: { statement: await record(() => client.completeConversation({ name: names[1] ?? "" })), idIndex: 4, idKind: "seeded" },
      list: { statement: await record(() => client.listConversations({ parent, pageSize: 100 })), idIndex: undefined, idKind: "seeded" },
      listFiltered: {
        statement: await record(() => client.listConversations({ parent, pageSize: 100, filter: FILTER })),
        idIndex: undefined,
        idKind: "seeded",
      },
    };

    const rows: Row[] = [];
    let peakRss = process.memoryUsage().rss;
    const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
    for (const operation of OPERATIONS) {
      for (const concurrency of CONCURRENCIES) {
        const common = { operation, concurrency, seconds: SECONDS, names };
        const service = await load(loader, { ...common, target: "service", baseUrl, parent, profile, filter: FILTER });
        const limit = await load(loader, { ...common, target: "sql", databaseUrl, poolSize: POOL_SIZE, ...statements[operation] });
        rows.push({ operation, concurrency, service, limit, ratio: limit.rps === 0 ? 0 : service.rps / limit.rps });
        printRow(rows[rows.length - 1]!);
      }
    }
    clearInterval(rssTimer);

    const depth = await measureDepth(databaseUrl, baseUrl, server.database, 200_000);
    console.log(`\npeak RSS of the service process: ${(peakRss / 1024 / 1024).toFixed(0)} MB`);
    console.log(
      `depth: first page p50 ${depth.firstMs.toFixed(2)} ms, page at ${depth.depth} p50 ${depth.deepMs.toFixed(2)} ms, ratio ${depth.ratio.toFixed(2)} (target <= 1.5); index scan: ${depth.usesIndex}`,
    );
    const results = {
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version },
      seconds: SECONDS,
      poolSize: POOL_SIZE,
      rows,
      peakRssMb: peakRss / 1024 / 1024,
      depth,
    };
    await mkdir(new URL("./results/", import.meta.url), { recursive: true });
    await writeFile(new URL("./results/latest.json", import.meta.url), JSON.stringify(results, null, 2));
    await server.close(1000);
    await database.close();
  } finally {
    loader.kill();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

function load(loader: ChildProcess, request: LoadRequest): Promise<LoadReport> {
  return new Promise((resolve, reject) => {
    loader.once("message", (report: LoadReport) => (report.failure ? reject(new Error(report.failure)) : resolve(report)));
    loader.send(request);
  });
}

let headerPrinted = false;
function printRow(row: Row): void {
  if (!headerPrinted) {
    console.log("rpc            conc   service rps  p50 ms  p99 ms |  limit rps  p50 ms  p99 ms | ratio  errors");
    headerPrinted = true;
  }
  const f = (n: number, width: number, digits = 0) => n.toFixed(digits).padStart(width);
  console.log(
    `${row.operation.padEnd(14)} ${f(row.concurrency, 4)} ${f(row.service.rps, 12)} ${f(row.service.p50, 7, 2)} ${f(row.service.p99, 7, 2)} | ${f(row.limit.rps, 10)} ${f(row.limit.p50, 7, 2)} ${f(row.limit.p99, 7, 2)} | ${f(row.ratio, 5, 2)}  ${row.service.errors + row.limit.errors}`,
  );
}

await main();
