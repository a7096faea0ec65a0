// npm run bench:scale: what one call costs when a project holds millions of
// conversations, against the same call at 10 000 rows. Two throwaway databases
// on BENCH_DATABASE_URL's server are seeded with SQL (scale-seed.ts), each
// served by the service (dist/main.js, CPU 1), and REST calls go one at a
// time from here (CPU 0), alternating between the sizes: Get, the first page,
// each filter, a page 1 000 pages deep. Then CreateConversation at c=64
// (h2load) on the big one with the list indexes of migration 006 and without
// them, and the purge of each, batch by batch. The databases are dropped at
// the end, also on failure.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import { create, toBinary } from "@bufbuild/protobuf";
import pg from "pg";
import { CreateConversationRequestSchema } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import type { Database, Statement } from "../src/store/database.js";
import { migrate } from "../src/store/migrate.js";
import { createPostgresDatabase } from "../src/store/postgres-database.js";
import { sweepOnce } from "../src/store/sweeps.js";
import { grpcFrame, h2load, type LoadResult } from "./h2load.js";
import { PROFILES, SCALE_PARENT, UNUSED_PROFILE, conversationName, profileName, seedScale } from "./scale-seed.js";
import { freePort } from "./free-port.js";

const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const SMALL = 10_000;
const BIG = Number(process.env.BENCH_SCALE_ROWS ?? 2_000_000);
/** Calls per figure, one at a time, after a few unmeasured ones. */
const CALLS = Number(process.env.BENCH_SCALE_CALLS ?? 100);
const CREATE_SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CREATE_ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const LOAD_CPU = "0";
const SERVER_CPU = "1";
const PAGE_SIZE = 100;
const DEEP_PAGES = 1000;
const LIST_INDEXES = ["conversations_running_newest_first", "conversations_by_profile_newest_first"];

interface Figure {
  readonly median: number;
  readonly p99: number;
}

type Figures = Map<string, Figure>;

async function main(): Promise<void> {
  // The create cells need h2load (Debian nghttp2-client; npm run bench installs it).
  await runChecked("sh", ["-c", "command -v h2load"]).catch(() => {
    throw new Error("h2load is missing: apt-get install -y nghttp2-client");
  });
  await runChecked("npm", ["run", "build:server"]);
  const sizes: Size[] = [];
  try {
    sizes.push(await prepareSize(SMALL));
    sizes.push(await prepareSize(BIG));
    const [small, big] = sizes as [Size, Size];
    // Both sizes are served at once and every figure alternates between them, so
    // the load of a shared machine falls on both alike.
    const figures = await measureCalls(small, big);
    const creates = await measureCreates(big);
    for (const size of sizes) size.stop();
    const purges = [await measurePurge(small), await measurePurge(big)];
    figures[0].set(PURGE, purges[0]!);
    figures[1].set(PURGE, purges[1]!);
    const report = formatReport(figures[0], figures[1], creates);
    console.log(`\n${report}`);
    await mkdir(new URL("./results/", import.meta.url), { recursive: true });
    await writeFile(new URL("./results/scale-latest.md", import.meta.url), `${report}\n`);
  } finally {
    for (const size of sizes) await size.dispose();
  }
}

const PURGE = "purge, per batch of 1000";

/** A seeded database of one size and the service serving it. */
interface Size {
  readonly rows: number;
  readonly baseUrl: string;
  readonly port: number;
  readonly client: pg.Client;
  readonly database: Database;
  stop(): void;
  /** Stops the service and drops the database. */
  dispose(): Promise<void>;
}

async function prepareSize(rows: number): Promise<Size> {
  const name = `bench_scale_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  admin.on("error", () => undefined);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const database = createPostgresDatabase({ url: databaseUrl, maxConnections: 2 });
  const client = new pg.Client({ connectionString: databaseUrl });
  // Dropping the database at the end ends this session; that is no error.
  client.on("error", () => undefined);
  let service: ChildProcess | undefined;
  const stop = () => {
    service?.kill("SIGTERM");
    service = undefined;
  };
  const dispose = async () => {
    stop();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await client.end().catch(() => undefined);
    await database.close().catch(() => undefined);
    const dropper = new pg.Client({ connectionString: ADMIN_URL });
    await dropper.connect();
    await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await dropper.end();
  };
  try {
    await migrate(database);
    await client.connect();
    const seedStart = performance.now();
    console.log(`${name}: seeding ${rows} conversations (+ ${Math.floor(rows / 2)} to purge)`);
    await seedScale(client, rows);
    console.log(`seeded in ${((performance.now() - seedStart) / 1000).toFixed(0)} s`);
    const port = await freePort();
    service = spawn("taskset", ["-c", SERVER_CPU, process.execPath, "dist/main.js", "--port", String(port), "--database-url", databaseUrl, "--sweep-interval", "0"], {
      env: { ...process.env, LOG_LEVEL: "silent" },
      stdio: ["ignore", "ignore", "inherit"],
    });
    await waitForHttp(port);
    return { rows, baseUrl: `http://127.0.0.1:${port}`, port, client, database, stop, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/** Every list call the bench times, by label: its filter ("" for none). */
function listCalls(): [string, string][] {
  const tenDaysAgo = new Date(Date.now() - 10 * 86_400_000).toISOString();
  const oneDayAgo = new Date(Date.now() - 86_400_000).toISOString();
  return [
    ["first page, no filter", ""],
    ["lifecycle_state = IN_PROGRESS", "lifecycle_state = IN_PROGRESS"],
    ["lifecycle_state = COMPLETED", "lifecycle_state = COMPLETED"],
    ["conversation_profile = (1 in 4)", `conversation_profile = "${profileName(PROFILES[1])}"`],
    ["conversation_profile = (unused: none)", `conversation_profile = "${profileName(UNUSED_PROFILE)}"`],
    ["conversation_stage = VIRTUAL_AGENT_STAGE", "conversation_stage = VIRTUAL_AGENT_STAGE"],
    ["start_time < 10 days ago", `start_time < "${tenDaysAgo}"`],
    ["end_time > 1 day ago", `end_time > "${oneDayAgo}"`],
    ["IN_PROGRESS AND profile", `lifecycle_state = IN_PROGRESS AND conversation_profile = "${profileName(PROFILES[0])}"`],
    ["profile OR NOT stage", `conversation_profile = "${profileName(PROFILES[2])}" OR NOT conversation_stage = HUMAN_ASSIST_STAGE`],
    // The agent profile is the only one in VIRTUAL_AGENT_STAGE: no index answers this, and nothing matches.
    ["stage AND profile != (none, scanned)", `conversation_stage = VIRTUAL_AGENT_STAGE AND conversation_profile != "${profileName(PROFILES[0])}"`],
  ];
}

type ListAnswer = { conversations?: unknown[]; nextPageToken?: string };

function list(size: Size, filter: string, pageToken = "", pageSize = PAGE_SIZE): Promise<ListAnswer> {
  const query = `pageSize=${pageSize}&filter=${encodeURIComponent(filter)}&pageToken=${encodeURIComponent(pageToken)}`;
  return getJson(`${size.baseUrl}/v2/${SCALE_PARENT}/conversations?${query}`) as Promise<ListAnswer>;
}

/** Each figure for both sizes, their calls alternating. */
async function measureCalls(small: Size, big: Size): Promise<[Figures, Figures]> {
  const figures: [Figures, Figures] = [new Map(), new Map()];
  const measure = async (label: string, call: (size: Size, i: number) => Promise<unknown>) => {
    const [a, b] = await timeBoth((i) => call(small, i), (i) => call(big, i));
    figures[0].set(label, a);
    figures[1].set(label, b);
  };
  await measure("GetConversation", (size, i) => getJson(`${size.baseUrl}/v2/${conversationName(1 + ((i * 7919) % size.rows))}`));
  for (const [label, filter] of listCalls()) {
    for (const size of [small, big]) {
      const first = await list(size, filter);
      console.log(`${size.rows} rows, ${label}: ${first.conversations?.length ?? 0} on the first page${first.nextPageToken ? ", more follow" : ""}`);
    }
    await measure(label, (size) => list(size, filter));
  }
  // 1 000 pages in (pages of at most 100 rows, fewer where the table is too small for that), then the next page of 100.
  const deepTokens = new Map<Size, string>();
  for (const size of [small, big]) {
    const walkSize = Math.max(1, Math.min(PAGE_SIZE, Math.floor((size.rows - PAGE_SIZE) / DEEP_PAGES)));
    let token = "";
    for (let page = 0; page < DEEP_PAGES; page++) token = (await list(size, "", token, walkSize)).nextPageToken ?? "";
    if (token === "") throw new Error("the walk ran out of pages");
    deepTokens.set(size, token);
  }
  await measure(`page ${DEEP_PAGES} pages deep`, (size) => list(size, "", deepTokens.get(size)));
  return figures;
}

interface CreateCells {
  readonly with: LoadResult[];
  readonly without: LoadResult[];
}

/**
 * CreateConversation at c=64 against the big size, the list indexes present
 * and dropped in turn (ABBA, so neither always follows an index build), after
 * a checkpoint, so the writes of a rebuild do not land on the next cell.
 */
async function measureCreates(size: Size): Promise<CreateCells> {
  const body = `${os.tmpdir()}/bench-scale-create-${process.pid}.bin`;
  const parent = "projects/create/locations/global";
  const request = create(CreateConversationRequestSchema, { parent, conversation: { conversationProfile: profileName(PROFILES[1], parent) } });
  await writeFile(body, grpcFrame(toBinary(CreateConversationRequestSchema, request)));
  const migration = await readFile(new URL("../src/store/migrations/006_list_filter_indexes.sql", import.meta.url), "utf8");
  const cells: CreateCells = { with: [], without: [] };
  let present = true;
  const cell = async (withIndexes: boolean) => {
    if (withIndexes !== present) {
      await size.client.query(withIndexes ? migration : LIST_INDEXES.map((index) => `DROP INDEX ${index};`).join("\n"));
      present = withIndexes;
    }
    await size.client.query("CHECKPOINT");
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const result = await h2load(`http://127.0.0.1:${size.port}/google.cloud.dialogflow.v2.Conversations/CreateConversation`, body, {
      connections: 4,
      streams: 16,
      seconds: CREATE_SECONDS,
      cpu: LOAD_CPU,
    });
    (withIndexes ? cells.with : cells.without).push(result);
    console.log(`create ${withIndexes ? "with" : "without"} the list indexes: ${result.rps.toFixed(0)} rps${result.failed > 0 ? `, ${result.failed} failed` : ""}`);
  };
  // Unmeasured: the service has created nothing yet, and its first calls of a kind run cold.
  await h2load(`http://127.0.0.1:${size.port}/google.cloud.dialogflow.v2.Conversations/CreateConversation`, body, {
    connections: 4,
    streams: 16,
    seconds: 2,
    cpu: LOAD_CPU,
  });
  for (let round = 1; round <= CREATE_ROUNDS; round++) {
    const order = round % 2 === 1 ? [true, false] : [false, true];
    for (const withIndexes of order) await cell(withIndexes);
  }
  if (!present) await size.client.query(migration);
  return cells;
}

/** The sweep's purge over the ended conversations of projects/old, timing each batch statement. */
async function measurePurge({ database }: Size): Promise<Figure> {
  const batches: number[] = [];
  const timed: Database = {
    ...database,
    async query<Row>(statement: Statement, values?: readonly unknown[]) {
      const start = performance.now();
      const rows = await database.query<Row>(statement, values);
      if (statement.name === "sweep_purge_ended") batches.push(performance.now() - start);
      return rows;
    },
  };
  const counts = await sweepOnce(timed, { ttlSeconds: 86_400, purgeAfterSeconds: 30 * 86_400 });
  console.log(`purged ${counts.purged} in ${batches.length} batches`);
  return summarize(batches);
}

/** Both calls, alternating, CALLS times each after a few unmeasured ones. */
async function timeBoth(first: (i: number) => Promise<unknown>, second: (i: number) => Promise<unknown>): Promise<[Figure, Figure]> {
  for (let i = 0; i < 5; i++) {
    await first(i);
    await second(i);
  }
  const samples: [number[], number[]] = [[], []];
  const timed = async (call: (i: number) => Promise<unknown>, i: number, into: number[]) => {
    const start = performance.now();
    await call(i);
    into.push(performance.now() - start);
  };
  for (let i = 0; i < CALLS; i++) {
    await timed(first, i, samples[0]);
    await timed(second, i, samples[1]);
  }
  return [summarize(samples[0]), summarize(samples[1])];
}

function summarize(samples: number[]): Figure {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { median: at(0.5), p99: at(0.99) };
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url);
  const body: unknown = await response.json();
  if (!response.ok) throw new Error(`${url}: ${response.status} ${JSON.stringify(body)}`);
  return body;
}

function formatReport(small: Figures, big: Figures, creates: CreateCells | undefined): string {
  const ms = (value: number) => value.toFixed(1);
  const lines = [
    `| call | ${SMALL} rows: median / p99 ms | ${BIG} rows: median / p99 ms | median ratio |`,
    "|---|---|---|---|",
  ];
  for (const [label, figure] of big) {
    const base = small.get(label);
    if (base === undefined) continue;
    lines.push(`| ${label} | ${ms(base.median)} / ${ms(base.p99)} | ${ms(figure.median)} / ${ms(figure.p99)} | ${(figure.median / base.median).toFixed(2)}× |`);
  }
  if (creates !== undefined) {
    const median = (results: LoadResult[]) => results.map((result) => result.rps).sort((a, b) => a - b)[Math.floor(results.length / 2)] ?? NaN;
    const rounds = creates.with.map((result, i) => `${result.rps.toFixed(0)} / ${creates.without[i]!.rps.toFixed(0)}`).join(", ");
    lines.push(
      "",
      `CreateConversation, c=64, at ${BIG} rows: median ${median(creates.with).toFixed(0)} rps with the list indexes, ` +
        `${median(creates.without).toFixed(0)} without (${(median(creates.with) / median(creates.without)).toFixed(2)}×); rounds with / without: ${rounds}`,
    );
  }
  lines.push("", `machine: ${os.cpus().length} CPUs, load average ${os.loadavg().map((load) => load.toFixed(1)).join(" ")}`);
  return lines.join("\n");
}

async function waitForHttp(port: number): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    if (await fetch(`http://127.0.0.1:${port}/healthz`).then((response) => response.ok, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing answers on port ${port}`);
}


function runChecked(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: "ignore" });
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(" ")} failed`))));
  });
}

await main();
