// npm run bench: the service against the limits it is judged by, measured in
// one run with the rounds interleaved (the machine is shared, so only ratios
// within a run mean much): grpc-js answering with a constant (the ceiling), a
// hand-written grpc-js + pg peer running the same statement, the service, and
// pgbench running the statement alone. h2load drives every gRPC server from
// CPU 0; the servers run on CPU 1. BENCH_CELLS picks the cells to run.
// BENCH_ONE_CALL=1 measures one call at a time instead (see ONE_CALL),
// BENCH_INSTRUCTIONS=1 counts instructions per call (bench/instructions.ts), and
// BENCH_DATABASE=embedded runs it all on the embedded default.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { pino } from "pino";
import pg from "pg";
import {
  CreateConversationRequestSchema,
  GetConversationRequestSchema,
  ListMessagesRequestSchema,
} from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { AnalyzeContentRequestSchema, Participants } from "../src/gen/google/cloud/dialogflow/v2/participant_pb.js";
import { startServer } from "../src/server.js";
import { createPostgresDatabase } from "../src/store/postgres-database.js";
import { startEmbeddedPostgres } from "../src/store/embedded-postgres.js";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Conversations } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { GRPC_HEADERS, grpcFrame, h2load, type LoadResult } from "./h2load.js";
import { countInstructions, underCallgrind, type CountedLoad, type InstructionCount } from "./instructions.js";
import { pgbench } from "./pgbench.js";
import { recordingDatabase } from "./recording-database.js";
import type { RecordedStatement } from "./recorded-statement.js";
import { createHumanProfileDirect, seedConversations, seedMessages } from "./seed.js";
import { benchNotificationTopic, type NotificationTopicCellOptions } from "./notification-topic-cell.js";
import { freePort } from "./free-port.js";

const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
// BENCH_ONE_CALL=1: one call at a time (one connection, one call in flight, for gRPC and HTTP/1.1 alike),
// Get, Create and the HTTP/1.1 cells, one worker, no notification-topic cell; a second peer selecting by
// primary key joins the servers. Every one of those can still be set on its own.
// BENCH_INSTRUCTIONS=1: one call at a time, every server under callgrind, one cell per server and
// RPC of BENCH_INSTRUCTIONS_CALLS calls (1 000) after BENCH_INSTRUCTIONS_WARM (1 500); no pgbench.
const INSTRUCTIONS = process.env.BENCH_INSTRUCTIONS === "1";
const INSTRUCTIONS_WARM = Number(process.env.BENCH_INSTRUCTIONS_WARM ?? 1500);
const INSTRUCTIONS_CALLS = Number(process.env.BENCH_INSTRUCTIONS_CALLS ?? 1000);
const ONE_CALL = INSTRUCTIONS || process.env.BENCH_ONE_CALL === "1";
// BENCH_DATABASE=embedded: every server uses the embedded default the service starts (no DATABASE_URL;
// the peers and pgbench reach it through its Unix socket) instead of BENCH_DATABASE_URL's Postgres.
const EMBEDDED = process.env.BENCH_DATABASE === "embedded";
if (!EMBEDDED && (process.env.BENCH_DATABASE ?? "postgres") !== "postgres") throw new Error("BENCH_DATABASE: postgres (the default) or embedded");
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? (ONE_CALL ? 1 : 4));
const STREAMS = Number(process.env.BENCH_STREAMS ?? (ONE_CALL ? 1 : 16));
// Every server (and pgbench) gets a pool this size; Postgres's max_connections (100) is shared with
// whatever else runs on the machine.
const POOL_SIZE = Number(process.env.BENCH_POOL_SIZE ?? 10);
// The embedded default serves one process: several workers would each start one.
const WORKERS = (process.env.BENCH_WORKERS ?? (ONE_CALL || EMBEDDED ? "1" : "1,2")).split(",").map(Number);
if (EMBEDDED && WORKERS.some((workers) => workers !== 1)) throw new Error("BENCH_DATABASE=embedded runs one worker: set BENCH_WORKERS=1");
const LOAD_CPU = "0";
// Linux's USER_HZ, the unit of CPU times in /proc/<pid>/stat.
const CLOCK_TICKS = 100;
const SERVER_CPU = "1";
const SEEDED = 10_000;
const SEEDED_MESSAGES = 1_000;
// analyze: AnalyzeContent, a text turn of an END_USER in a HUMAN_ASSIST_STAGE conversation without
// request_id (a user's turn normally has none); messages: ListMessages, the first page (100) of a
// conversation of SEEDED_MESSAGES messages.
const OPERATIONS = ["get", "create", "analyze", "messages"] as const;
type Operation = (typeof OPERATIONS)[number];
const RPC_PATHS: Record<Operation, string> = {
  get: "/google.cloud.dialogflow.v2.Conversations/GetConversation",
  create: "/google.cloud.dialogflow.v2.Conversations/CreateConversation",
  analyze: "/google.cloud.dialogflow.v2.Participants/AnalyzeContent",
  messages: "/google.cloud.dialogflow.v2.Conversations/ListMessages",
};
// The parameter pgbench makes fresh per call: a new conversation ID, a new message ID.
const FRESH_PARAMETER: Partial<Record<Operation, number>> = { create: 3, analyze: 6 };
const CELL_NAMES = [...OPERATIONS, "http1"] as const;
// BENCH_CELLS=analyze,messages runs those cells alone (the servers still all start).
const CELLS = new Set((process.env.BENCH_CELLS ?? (ONE_CALL ? "get,create,http1" : CELL_NAMES.join(","))).split(",").map((cell) => cell.trim()));
for (const cell of CELLS) {
  if (!(CELL_NAMES as readonly string[]).includes(cell)) throw new Error(`BENCH_CELLS: unknown cell ${cell}; the cells are ${CELL_NAMES.join(", ")}`);
}
const SELECTED = OPERATIONS.filter((operation) => CELLS.has(operation));
// BENCH_CPU_PROF=<dir>: the one-worker service writes a CPU profile there (node --cpu-prof) when it stops,
// and the primary-key peer one in <dir>/primary-key-peer.
const CPU_PROFILE_DIR = process.env.BENCH_CPU_PROF;
const cpuProfileFlags = (dir: string | undefined): string[] => (dir === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", dir]);
// GetConversation over HTTP/1.1 (64 connections, a call in flight on each), Connect JSON and REST,
// against connect-node answering a constant on HTTP/1.1: the ceiling of those paths.
const HTTP1_OPERATIONS = ["connect get", "rest get", "connect create", "rest create"] as const;
type Http1Operation = (typeof HTTP1_OPERATIONS)[number];
const HTTP1_CONNECTIONS = Number(process.env.BENCH_HTTP1_CONNECTIONS ?? (ONE_CALL ? 1 : 64));
const CONNECT_NOOP = "connect-node no-op";
// What a user writes by hand for those paths (bench/connect-pg-peer.ts): connect-node and a primary-key statement.
const CONNECT_PEER = "connect-node + pg peer, primary key";
// The notification-topic cell (bench/notification-topic-cell.ts): "only" runs it alone, "0" skips it.
const EVENTS_CELL = process.env.BENCH_EVENTS ?? (ONE_CALL || EMBEDDED ? "0" : "1");
if (EMBEDDED && EVENTS_CELL !== "0") throw new Error("BENCH_DATABASE=embedded has no notification-topic cell: set BENCH_EVENTS=0");
// The peer running the service's own statements, and (with BENCH_ONE_CALL) the one a user writes by hand.
const PEER = "grpc-js + pg peer";
const PRIMARY_KEY_PEER = "grpc-js + pg peer, primary key";
const WITH_PRIMARY_KEY_PEER = ONE_CALL || process.env.BENCH_PRIMARY_KEY_PEER === "1";
// pgbench runs the statement with as many clients as calls are in flight, at most a pool's worth.
const PGBENCH_CLIENTS = Math.min(POOL_SIZE, CONNECTIONS * STREAMS);
const EVENTS_PUBLISH = process.env.BENCH_EVENTS_PUBLISH !== "false";
// BENCH_BASELINE=<dir>: another checkout, built (npm ci), served beside this one as "baseline service" on the
// same database and CPU, so a change is compared with what came before it in one interleaved run.
const BASELINE_DIR = process.env.BENCH_BASELINE;
const BASELINE = "baseline service";

interface Http1Request {
  readonly operation: Http1Operation;
  readonly path: string;
  /** A file holding the request body; undefined for a GET. */
  readonly body: string | undefined;
  readonly headers: readonly string[];
  /** Whether the connect-node servers (the no-op, the peer) serve it too (they have no REST routes). */
  readonly targets: "both" | "service";
}

interface Target {
  readonly label: string;
  readonly port: number;
  readonly process: ChildProcess;
  /** Under BENCH_INSTRUCTIONS: where callgrind writes its dumps, and how many it wrote. */
  readonly callgrind?: { readonly prefix: string; dumps: number };
  /** Processes whose memory counts as this target's (a cluster's primary and workers). */
  peakRssMb: number;
}

interface Cell {
  readonly target: string;
  readonly operation: Operation | Http1Operation;
  readonly round: number;
  readonly result: LoadResult;
  /**
   * CPU time of the server's processes per call, in µs: less sensitive to
   * the machine's other load than rps. The warm-up second counts as calls
   * at the measured rate.
   */
  readonly cpuPerCallUs?: number;
}

interface CountedCell {
  readonly target: string;
  readonly operation: Operation | Http1Operation;
  readonly count: InstructionCount;
}

async function main(): Promise<void> {
  await requireTool("h2load", "apt-get install -y nghttp2-client");
  await requireTool("pgbench", "apt-get install -y postgresql-client");
  // The service runs as it ships: the compiled dist/main.js.
  await new Promise<void>((resolve, reject) => {
    const build = spawn("npm", ["run", "build:server"], { stdio: "ignore" });
    build.once("exit", (code) => (code === 0 ? resolve() : reject(new Error("npm run build:server failed"))));
  });
  const children: ChildProcess[] = [];
  const targets: Target[] = [];
  // Servers that speak only HTTP/1.1 (the connect-node ceiling): loaded by the HTTP/1.1 cells alone.
  const http1Targets: Target[] = [];
  const callgrindDir = INSTRUCTIONS ? await mkdtemp(join(os.tmpdir(), "bench-callgrind-")) : undefined;
  const launch = async (label: string, args: string[], env: NodeJS.ProcessEnv, cpus = SERVER_CPU, fixedPort?: number, nodeFlags: string[] = []) => {
    const loader = args[0]?.endsWith(".js") === true ? [] : ["--import", "tsx"];
    const callgrind = callgrindDir === undefined ? undefined : { prefix: join(callgrindDir, label.replace(/[^a-z0-9]+/gi, "-")), dumps: 0 };
    const counted = callgrind === undefined ? [] : underCallgrind(callgrind.prefix);
    const child = spawn("taskset", ["-c", cpus, ...counted, process.execPath, ...nodeFlags, ...loader, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", fixedPort === undefined ? "pipe" : "ignore", "inherit"],
    });
    children.push(child);
    const port = fixedPort ?? (await portLine(child));
    const http1Only = label === CONNECT_NOOP || label === CONNECT_PEER;
    await (http1Only ? waitForHttp(port) : waitForGrpc(port));
    const target: Target = { label, port, process: child, peakRssMb: 0, callgrind };
    (http1Only ? http1Targets : targets).push(target);
    return target;
  };
  // The service as it ships (dist/main.js, the node flags of npm start) with `database` flags.
  const launchService = async (workers: number, database: string[], poolSize = POOL_SIZE, checkout = ".") => {
    const port = await freePort();
    const args = [join(checkout, "dist/main.js"), "--port", String(port), ...database, "--sweep-interval", "0", "--database-pool-size", String(poolSize)];
    if (workers > 1) args.push("--workers", String(workers));
    // One worker shares CPU 1 with the other servers; more workers get both CPUs (with h2load on CPU 0).
    const profiled = workers === 1 ? cpuProfileFlags(CPU_PROFILE_DIR) : [];
    const label = checkout !== "." ? BASELINE : workers === 1 ? "service" : `service, ${workers} workers`;
    await launch(label, args, { LOG_LEVEL: "info" }, workers === 1 ? SERVER_CPU : "0,1", port, [...(await startNodeFlags(checkout)), ...profiled]);
  };
  // Peers hold no more connections than calls are in flight: on the embedded default, whose
  // max_connections follows the service's pool, the service's pool leaves room for them and pgbench.
  const peerPoolSize = EMBEDDED ? PGBENCH_CLIENTS : POOL_SIZE;
  let dropDatabase = async () => {};
  try {
    let databaseUrl: string;
    let name: string;
    if (EMBEDDED) {
      const dataDir = await mkdtemp(join(os.tmpdir(), "bench-data-"));
      // mkdtemp makes it private; run as root, the server runs as the user postgres.
      await chmod(dataDir, 0o755);
      dropDatabase = async () => {
        // The service stops its Postgres as it exits; the directory goes after.
        const running = children.filter((child) => child.exitCode === null && child.signalCode === null);
        await Promise.all(running.map((child) => new Promise((resolve) => child.once("exit", resolve))));
        await rm(dataDir, { recursive: true, force: true });
      };
      await launchService(1, ["--data-dir", dataDir], POOL_SIZE + 3 * peerPoolSize);
      databaseUrl = (await startEmbeddedPostgres({ directory: join(dataDir, "postgres"), maxConnections: POOL_SIZE, useRunning: true })).url;
      name = `embedded in ${dataDir}`;
    } else {
      name = `bench_${randomBytes(4).toString("hex")}`;
      const admin = new pg.Client({ connectionString: ADMIN_URL });
      // Other users of a shared Postgres may end idle sessions; the bench reconnects to drop its database.
      admin.on("error", () => undefined);
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end().catch(() => undefined);
      const url = new URL(ADMIN_URL);
      url.pathname = `/${name}`;
      databaseUrl = url.toString();
      const created = name;
      dropDatabase = async () => {
        const dropper = new pg.Client({ connectionString: ADMIN_URL });
        await dropper.connect();
        await dropper.query(`DROP DATABASE IF EXISTS ${created} WITH (FORCE)`);
        await dropper.end();
      };
    }
    console.log(`database ${name}: migrating, seeding ${SEEDED} conversations and ${SEEDED_MESSAGES} messages, recording the statements`);
    const { statements, parent, profile, names, speaker, transcript } = await prepare(databaseUrl);
    const eventsCell: NotificationTopicCellOptions = { databaseUrl, parent, rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS, streams: STREAMS, poolSize: POOL_SIZE, loadCpu: LOAD_CPU, serverCpu: SERVER_CPU, nodeFlags: await startNodeFlags(), publish: EVENTS_PUBLISH };
    if (EVENTS_CELL === "only") return console.log(`\n${await benchNotificationTopic(eventsCell)}`);
    console.log("starting the servers");
    const bodies: Record<Operation, string> = {
      get: await writeBody("get", toBinary(GetConversationRequestSchema, create(GetConversationRequestSchema, { name: names[0] }))),
      create: await writeBody(
        "create",
        toBinary(CreateConversationRequestSchema, create(CreateConversationRequestSchema, { parent, conversation: { conversationProfile: profile } })),
      ),
      analyze: await writeBody("analyze", toBinary(AnalyzeContentRequestSchema, create(AnalyzeContentRequestSchema, analyzeRequest(speaker)))),
      messages: await writeBody("messages", toBinary(ListMessagesRequestSchema, create(ListMessagesRequestSchema, { parent: transcript }))),
    };

    await launch(CONNECT_NOOP, ["bench/connect-noop-server.ts"], {});
    await launch("grpc-js no-op", ["bench/grpc-noop-server.ts"], {});
    const peerEnv = { DATABASE_URL: databaseUrl, STATEMENTS: JSON.stringify(statements), POOL_SIZE: String(peerPoolSize) };
    // BENCH_CPU_PROF profiles both peers too, to set the service's profile against a hand-written server's.
    const peerProfiled = (peer: string) => cpuProfileFlags(CPU_PROFILE_DIR === undefined ? undefined : join(CPU_PROFILE_DIR, peer));
    await launch(PEER, ["bench/grpc-pg-peer.ts"], peerEnv, SERVER_CPU, undefined, peerProfiled("same-statement-peer"));
    if (WITH_PRIMARY_KEY_PEER) await launch(PRIMARY_KEY_PEER, ["bench/grpc-pg-peer.ts"], { ...peerEnv, PEER: "primary-key" }, SERVER_CPU, undefined, peerProfiled("primary-key-peer"));
    if (CELLS.has("http1")) await launch(CONNECT_PEER, ["bench/connect-pg-peer.ts"], peerEnv, SERVER_CPU, undefined, peerProfiled("connect-peer"));
    // On the embedded default the service started first: it starts the database.
    if (!EMBEDDED) for (const workers of WORKERS) await launchService(workers, ["--database-url", databaseUrl]);
    if (BASELINE_DIR !== undefined) {
      if (EMBEDDED) throw new Error("BENCH_BASELINE runs on Postgres: unset BENCH_DATABASE");
      await launchService(1, ["--database-url", databaseUrl], POOL_SIZE, BASELINE_DIR);
    }
    for (const target of targets) await checkAnswers(target.port, bodies);
    const service = targets.find((target) => target.label === "service");
    if (service === undefined) throw new Error("BENCH_WORKERS must include 1: the HTTP/1.1 cells load the one-worker service");
    const baseline = targets.filter((target) => target.label === BASELINE);
    const http1Cells = CELLS.has("http1") ? await http1Requests(names[0] ?? "", parent, profile) : [];
    for (const cell of http1Cells) {
      for (const target of cell.targets === "both" ? [...http1Targets, service] : [service]) await checkHttp1(target.port, cell);
    }

    if (INSTRUCTIONS) {
      const counted: CountedCell[] = [];
      const count = async (target: Target, operation: Operation | Http1Operation, load: Omit<CountedLoad, "cpu">) => {
        const callgrind = target.callgrind as { prefix: string; dumps: number };
        callgrind.dumps++;
        const result = await countInstructions(target.process.pid as number, callgrind.prefix, callgrind.dumps, { ...load, cpu: LOAD_CPU }, INSTRUCTIONS_WARM, INSTRUCTIONS_CALLS);
        counted.push({ target: target.label, operation, count: result });
        console.log(`${operation.padEnd(15)} ${target.label.padEnd(38)} ${(result.perCall / 1000).toFixed(0).padStart(6)} k instructions/call, main thread ${(result.mainThreadPerCall / 1000).toFixed(0).padStart(5)} k`);
      };
      for (const operation of SELECTED) {
        for (const target of targets) {
          await count(target, operation, { url: `http://127.0.0.1:${target.port}${RPC_PATHS[operation]}`, body: bodies[operation], headers: GRPC_HEADERS, http1: false });
        }
      }
      for (const cell of http1Cells) {
        for (const target of [...(cell.targets === "both" ? http1Targets : []), service, ...baseline]) {
          await count(target, cell.operation, { url: `http://127.0.0.1:${target.port}${cell.path}`, body: cell.body, headers: cell.headers, http1: true });
        }
      }
      console.log(`\n${summarizeInstructions(counted)}`);
      await rm(callgrindDir as string, { recursive: true, force: true });
      return;
    }

    const rssTimer = setInterval(() => void sampleRss([...targets, ...http1Targets]), 200);
    const cells: Cell[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const operation of SELECTED) {
        for (const target of targets) {
          const cpuBefore = await cpuSeconds(target);
          const result = await h2load(`http://127.0.0.1:${target.port}${RPC_PATHS[operation]}`, bodies[operation], {
            connections: CONNECTIONS,
            streams: STREAMS,
            seconds: SECONDS,
            cpu: LOAD_CPU,
          });
          const cpuPerCallUs = (1e6 * ((await cpuSeconds(target)) - cpuBefore)) / (result.rps * (SECONDS + 1));
          cells.push({ target: target.label, operation, round, result, cpuPerCallUs });
          printCell(cells[cells.length - 1]!);
        }
        const result = await pgbench(databaseUrl, statements[operation], {
          // As many clients as calls in flight, at most the servers' pool size (max_connections is shared).
          clients: PGBENCH_CLIENTS,
          seconds: SECONDS,
          cpu: LOAD_CPU,
          freshIndex: FRESH_PARAMETER[operation],
        });
        cells.push({ target: "pgbench (statement alone)", operation, round, result });
        printCell(cells[cells.length - 1]!);
      }
      for (const cell of http1Cells) {
        for (const target of [...(cell.targets === "both" ? http1Targets : []), service, ...baseline]) {
          const result = await h2load(`http://127.0.0.1:${target.port}${cell.path}`, cell.body, {
            connections: HTTP1_CONNECTIONS,
            streams: 1,
            seconds: SECONDS,
            cpu: LOAD_CPU,
            http1: true,
            headers: cell.headers,
          });
          cells.push({ target: target.label, operation: cell.operation, round, result });
          printCell(cells[cells.length - 1]!);
        }
      }
    }
    clearInterval(rssTimer);
    // After the other cells, whose servers then idle: its own service, and the Pub/Sub emulator, come and go with it.
    const eventsSummary = EVENTS_CELL === "0" ? "" : `\n\n${await benchNotificationTopic(eventsCell)}`;
    const failures = await serviceFailures(targets.filter((target) => target.label.startsWith("service")));

    const summary = summarize(cells, [...targets, ...http1Targets]);
    console.log(`\n${summary}${eventsSummary}`);
    console.log(`service calls that failed (from /metrics): ${failures.failed}`);
    console.log(`service calls cancelled by h2load as a cell ended (at most the calls in flight, ${HTTP1_CONNECTIONS} per HTTP/1.1 cell): ${failures.cancelled}`);
    await mkdir(new URL("./results/", import.meta.url), { recursive: true });
    await writeFile(
      new URL("./results/latest.json", import.meta.url),
      JSON.stringify(
        {
          machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, loadavg: os.loadavg() },
          settings: { seconds: SECONDS, rounds: ROUNDS, connections: CONNECTIONS, streams: STREAMS, http1Connections: HTTP1_CONNECTIONS, poolSize: POOL_SIZE, cells: [...CELLS], database: EMBEDDED ? "embedded" : "postgres" },
          cells,
          peakRssMb: Object.fromEntries(targets.map((target) => [target.label, target.peakRssMb])),
          serviceFailures: failures,
        },
        null,
        2,
      ),
    );
  } finally {
    for (const child of children) child.kill("SIGTERM");
    // A profiled service writes its profile as it exits.
    await new Promise((resolve) => setTimeout(resolve, CPU_PROFILE_DIR === undefined ? 500 : 3000));
    await dropDatabase();
  }
}

/** The node flags `npm start` runs the service with (package.json), so the bench runs it as it ships. */
/** The node flags of `npm start` in `checkout` (a baseline runs with its own). */
async function startNodeFlags(checkout = "."): Promise<string[]> {
  const { scripts } = JSON.parse(await readFile(join(checkout, "package.json"), "utf8")) as { scripts: Record<string, string> };
  const words = (scripts.start ?? "").split(" ");
  return words.slice(words.indexOf("node") + 1, words.indexOf("dist/main.js"));
}

/** Migrates and seeds through the service itself, and records the statements its RPCs send. */
async function prepare(databaseUrl: string) {
  const database = recordingDatabase(createPostgresDatabase({ url: databaseUrl, maxConnections: 4 }));
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
  const transport = createGrpcTransport({ baseUrl });
  const client = createClient(Conversations, transport);
  const participants = createClient(Participants, transport);
  // AnalyzeContent's turns go to one conversation; ListMessages reads another that keeps its SEEDED_MESSAGES.
  const endUser = async () => {
    const conversation = await client.createConversation({ parent, conversation: { conversationProfile: profile, conversationStage: 2 } });
    return participants.createParticipant({ parent: conversation.name, participant: { role: 3 } });
  };
  const speaker = (await endUser()).name;
  const listed = await endUser();
  const transcript = listed.name.slice(0, listed.name.indexOf("/participants/"));
  await seedMessages(databaseUrl, listed.name, SEEDED_MESSAGES);
  // Every RPC is one statement; the bench refuses to compare anything else.
  const record = async (call: () => Promise<unknown>): Promise<RecordedStatement> => {
    const before = database.statementCount;
    await call();
    if (database.statementCount - before !== 1) throw new Error("an RPC issued more than one SQL statement");
    return database.last();
  };
  const statements: Record<Operation, RecordedStatement> = {
    get: await record(() => client.getConversation({ name: names[0] ?? "" })),
    create: await record(() => client.createConversation({ parent, conversation: { conversationProfile: profile } })),
    analyze: await record(() => participants.analyzeContent(analyzeRequest(speaker))),
    messages: await record(() => client.listMessages({ parent: transcript })),
  };
  await server.close(100);
  await database.close();
  return { statements, parent, profile, names, speaker, transcript };
}

/** A user's text turn, as each AnalyzeContent call of the bench sends it. */
function analyzeRequest(participant: string) {
  return { participant, input: { case: "textInput" as const, value: { text: "I would like to move my booking to Friday, please.", languageCode: "en-US" } } };
}

async function writeBody(operation: Operation, message: Uint8Array): Promise<string> {
  const path = `${os.tmpdir()}/bench-${operation}-${process.pid}.bin`;
  await writeFile(path, grpcFrame(message));
  return path;
}

async function http1Requests(name: string, parent: string, profile: string): Promise<Http1Request[]> {
  const getBody = `${os.tmpdir()}/bench-connect-get-${process.pid}.json`;
  await writeFile(getBody, JSON.stringify({ name }));
  const createBody = `${os.tmpdir()}/bench-connect-create-${process.pid}.json`;
  await writeFile(createBody, JSON.stringify({ parent, conversation: { conversationProfile: profile } }));
  const restCreateBody = `${os.tmpdir()}/bench-rest-create-${process.pid}.json`;
  await writeFile(restCreateBody, JSON.stringify({ conversationProfile: profile }));
  const json = ["content-type: application/json"];
  return [
    { operation: "connect get", path: "/google.cloud.dialogflow.v2.Conversations/GetConversation", body: getBody, headers: json, targets: "both" },
    { operation: "rest get", path: `/v2/${name}`, body: undefined, headers: [], targets: "service" },
    { operation: "connect create", path: "/google.cloud.dialogflow.v2.Conversations/CreateConversation", body: createBody, headers: json, targets: "both" },
    { operation: "rest create", path: `/v2/${parent}/conversations`, body: restCreateBody, headers: json, targets: "service" },
  ];
}

/** The connect-node no-op cell an HTTP/1.1 operation is set against: the one answering the same method. */
function ceilingOperation(operation: Http1Operation): Http1Operation {
  return operation.endsWith("create") ? "connect create" : "connect get";
}

/** One call of each HTTP/1.1 request must answer 200 with a conversation before it is loaded. */
async function checkHttp1(port: number, request: Http1Request): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${port}${request.path}`, {
    method: request.body === undefined ? "GET" : "POST",
    headers: Object.fromEntries(request.headers.map((header) => header.split(": ") as [string, string])),
    body: request.body === undefined ? undefined : await readFile(request.body),
  });
  const json = (await response.json()) as { name?: string };
  if (response.status !== 200 || json.name === undefined) throw new Error(`${request.operation} on port ${port}: ${response.status} ${JSON.stringify(json)}`);
}

/** One call of each operation must end with grpc-status 0: h2load only sees HTTP statuses. */
async function checkAnswers(port: number, bodies: Record<Operation, string>): Promise<void> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    for (const operation of SELECTED) {
      const frame = await readFile(bodies[operation]);
      const method = RPC_PATHS[operation];
      await new Promise<void>((resolve, reject) => {
        client.makeUnaryRequest(
          method,
          (bytes: Buffer) => bytes,
          (bytes: Buffer) => bytes,
          frame.subarray(5),
          (error) => (error ? reject(new Error(`${method} on port ${port}: ${error.message}`)) : resolve()),
        );
      });
    }
  } finally {
    client.close();
  }
}

/**
 * Calls that did not end OK, by method and code, from the services' own
 * /metrics. CANCELLED is told apart: h2load drops the calls it has in flight
 * when a cell's time is up (with HTTP/1.1, by closing the connections).
 */
async function serviceFailures(services: Target[]): Promise<{ failed: string; cancelled: number }> {
  const failed: string[] = [];
  let cancelled = 0;
  for (const service of services) {
    const text = await (await fetch(`http://127.0.0.1:${service.port}/metrics`)).text();
    for (const match of text.matchAll(/rpc_requests_total\{([^}]*)code="(\w+)"\} (\d+)/g)) {
      if (match[2] === "CANCELLED") cancelled += Number(match[3]);
      else if (match[2] !== "OK") failed.push(`${service.label}: ${match[3]} ${match[2]} (${match[1]?.replace(/,$/, "")})`);
    }
  }
  return { failed: failed.length === 0 ? "0" : failed.join("; "), cancelled };
}

async function sampleRss(targets: Target[]): Promise<void> {
  for (const target of targets) {
    const pids = await processTree(target.process.pid);
    let kb = 0;
    for (const pid of pids) {
      const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
      kb += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    }
    target.peakRssMb = Math.max(target.peakRssMb, kb / 1024);
  }
}

/** User and system CPU time of a target's processes so far, in seconds. */
async function cpuSeconds(target: Target): Promise<number> {
  let ticks = 0;
  for (const pid of await processTree(target.process.pid)) {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
    // The fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  }
  return ticks / CLOCK_TICKS;
}

// taskset execs node in place; a cluster's workers are the primary's children.
async function processTree(pid: number | undefined): Promise<number[]> {
  if (pid === undefined) return [];
  const children = (await readFile(`/proc/${pid}/task/${pid}/children`, "utf8").catch(() => ""))
    .trim()
    .split(/\s+/)
    .filter((value) => value !== "")
    .map(Number);
  return [pid, ...(await Promise.all(children.map(processTree))).flat()];
}

/** Instructions per call by RPC and server, each against the peers (main thread: the call's own work). */
function summarizeInstructions(cells: CountedCell[]): string {
  const lines = [
    `| rpc | setup | instructions/call, all threads | main thread | main thread vs same-statement peer | vs primary-key peer |`,
    "|---|---|---|---|---|---|",
  ];
  const mainOf = (operation: string, label: string) => cells.find((c) => c.operation === operation && c.target === label)?.count.mainThreadPerCall ?? NaN;
  for (const cell of cells) {
    // The Connect and REST cells are set against the connect-node + pg peer's Connect cell of the same method.
    const http1 = (HTTP1_OPERATIONS as readonly string[]).includes(cell.operation);
    const peer = http1 ? mainOf(ceilingOperation(cell.operation as Http1Operation), CONNECT_PEER) : mainOf(cell.operation, PEER);
    const keyPeer = http1 ? peer : mainOf(cell.operation, PRIMARY_KEY_PEER);
    const k = (value: number) => `${(value / 1000).toFixed(0)} k`;
    lines.push(
      `| ${cell.operation} | ${cell.target} | ${k(cell.count.perCall)} | ${k(cell.count.mainThreadPerCall)} | ${http1 ? "–" : (cell.count.mainThreadPerCall / peer).toFixed(2)} | ${(cell.count.mainThreadPerCall / keyPeer).toFixed(2)} |`,
    );
  }
  return lines.join("\n");
}

function summarize(cells: Cell[], targets: Target[]): string {
  const labels = [...new Set(cells.map((cell) => cell.target))];
  const lines = [
    `| rpc | setup | rps (median of ${ROUNDS}) | min – max | p50 ms | p99 ms | CPU µs/call | vs peer |`,
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const operation of SELECTED) {
    const median = (label: string) => medianOf(cells.filter((c) => c.operation === operation && c.target === label).map((c) => c.result.rps));
    const peer = median(PEER);
    for (const label of labels.filter((each) => cells.some((c) => c.operation === operation && c.target === each))) {
      const mine = cells.filter((c) => c.operation === operation && c.target === label);
      const rps = mine.map((c) => c.result.rps);
      lines.push(
        `| ${operation} | ${label} | ${median(label).toFixed(0)} | ${Math.min(...rps).toFixed(0)} – ${Math.max(...rps).toFixed(0)} | ${medianOf(mine.map((c) => c.result.p50)).toFixed(2)} | ${medianOf(mine.map((c) => c.result.p99)).toFixed(2)} | ${medianOf(mine.map((c) => c.cpuPerCallUs ?? NaN)).toFixed(0)} | ${(median(label) / peer).toFixed(2)} |`,
      );
    }
    // Interleaved rounds give the ratio per round too: its spread is the noise that matters.
    lines.push(`| ${operation} | service / peer, per round | ${perRound(cells, operation, "service", PEER)} | | | | | |`);
    if (labels.includes(BASELINE)) {
      lines.push(`| ${operation} | service / baseline: median ${(median("service") / median(BASELINE)).toFixed(2)}, per round | ${perRound(cells, operation, "service", BASELINE)} | | | | | |`);
    }
    if (labels.includes(PRIMARY_KEY_PEER)) {
      lines.push(
        `| ${operation} | service / primary-key peer: median ${(median("service") / median(PRIMARY_KEY_PEER)).toFixed(2)}, per round | ${perRound(cells, operation, "service", PRIMARY_KEY_PEER)} | | | | | |`,
      );
    }
  }
  if (!CELLS.has("http1")) return [...lines, "", peakRss(targets)].join("\n");
  lines.push(
    "",
    `| HTTP/1.1 | setup | rps (median of ${ROUNDS}) | min – max | p50 ms | p99 ms | vs connect-node no-op |`,
    "|---|---|---|---|---|---|---|",
  );
  for (const operation of HTTP1_OPERATIONS) {
    const ceiling = medianOf(cells.filter((c) => c.operation === ceilingOperation(operation) && c.target === CONNECT_NOOP).map((c) => c.result.rps));
    for (const label of [CONNECT_NOOP, CONNECT_PEER, "service", BASELINE]) {
      const mine = cells.filter((c) => c.operation === operation && c.target === label);
      if (mine.length === 0) continue;
      const rps = mine.map((c) => c.result.rps);
      lines.push(
        `| ${operation} | ${label} | ${medianOf(rps).toFixed(0)} | ${Math.min(...rps).toFixed(0)} – ${Math.max(...rps).toFixed(0)} | ${medianOf(mine.map((c) => c.result.p50)).toFixed(2)} | ${medianOf(mine.map((c) => c.result.p99)).toFixed(2)} | ${(medianOf(rps) / ceiling).toFixed(2)} |`,
      );
    }
    // A REST cell is set against the connect-node servers' Connect cell of the same method.
    const rpsOf = (target: string, round: number, cell: Http1Operation = ceilingOperation(operation)) =>
      cells.find((c) => c.operation === cell && c.target === target && c.round === round)?.result.rps ?? NaN;
    const perRoundOf = (ratio: (round: number) => number) => Array.from({ length: ROUNDS }, (_, i) => ratio(i + 1).toFixed(2)).join(", ");
    const service = (round: number) => rpsOf("service", round, operation);
    lines.push(`| ${operation} | service / connect-node no-op, per round | ${perRoundOf((r) => service(r) / rpsOf(CONNECT_NOOP, r))} | | | | |`);
    lines.push(`| ${operation} | connect-node + pg peer / connect-node no-op, per round | ${perRoundOf((r) => rpsOf(CONNECT_PEER, r) / rpsOf(CONNECT_NOOP, r))} | | | | |`);
    lines.push(`| ${operation} | service / connect-node + pg peer, per round | ${perRoundOf((r) => service(r) / rpsOf(CONNECT_PEER, r))} | | | | |`);
    if (cells.some((c) => c.target === BASELINE)) lines.push(`| ${operation} | service / baseline, per round | ${perRound(cells, operation, "service", BASELINE)} | | | | |`);
  }
  lines.push("", peakRss(targets));
  return lines.join("\n");
}

/** `label`'s rps over `base`'s, round by round. */
function perRound(cells: Cell[], operation: string, label: string, base: string): string {
  const of = (target: string, round: number) => cells.find((c) => c.operation === operation && c.target === target && c.round === round)?.result.rps ?? NaN;
  return Array.from({ length: ROUNDS }, (_, i) => (of(label, i + 1) / of(base, i + 1)).toFixed(2)).join(", ");
}

function peakRss(targets: Target[]): string {
  return "Peak RSS under load (MB): " + targets.map((t) => `${t.label} ${t.peakRssMb.toFixed(0)}`).join(", ");
}

function medianOf(values: number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function printCell(cell: Cell): void {
  const { rps, p50, p99, failed } = cell.result;
  const cpu = cell.cpuPerCallUs === undefined ? "" : `  CPU ${cell.cpuPerCallUs.toFixed(0).padStart(4)} µs/call`;
  console.log(
    `round ${cell.round} ${cell.operation.padEnd(8)} ${cell.target.padEnd(26)} ${rps.toFixed(0).padStart(7)} rps  p50 ${p50.toFixed(2).padStart(6)} ms  p99 ${p99.toFixed(2).padStart(6)} ms${cpu}${failed > 0 ? `  ${failed} failed` : ""}`,
  );
}

function portLine(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const match = /PORT (\d+)/.exec(buffered);
      if (match) resolve(Number(match[1]));
    });
    child.once("exit", (code) => reject(new Error(`a bench server exited with ${code}`)));
  });
}

// Under callgrind a server starts some fifty times slower.
const STARTUP_ATTEMPTS = INSTRUCTIONS ? 6000 : 300;

async function waitForGrpc(port: number): Promise<void> {
  for (let attempt = 0; attempt < STARTUP_ATTEMPTS; attempt++) {
    const open = await new Promise<boolean>((resolve) => {
      const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
      client.waitForReady(Date.now() + 200, (error) => {
        client.close();
        resolve(error === undefined || error === null);
      });
    });
    if (open) return;
  }
  throw new Error(`nothing answers on port ${port}`);
}

async function waitForHttp(port: number): Promise<void> {
  for (let attempt = 0; attempt < STARTUP_ATTEMPTS; attempt++) {
    if (await fetch(`http://127.0.0.1:${port}/`).then(() => true, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing answers on port ${port}`);
}


async function requireTool(tool: string, install: string): Promise<void> {
  const found = await new Promise<boolean>((resolve) => {
    const child = spawn("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    child.once("exit", (code) => resolve(code === 0));
  });
  if (found) return;
  console.log(`${tool} is missing; installing it (${install})`);
  await new Promise<void>((resolve, reject) => {
    const child = spawn("sh", ["-c", install], { stdio: "inherit" });
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`could not install ${tool}; run: ${install}`))));
  });
}

await main();
