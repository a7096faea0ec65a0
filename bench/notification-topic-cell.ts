// The cost of conversation events on the call: CreateConversation on one
// service, alternately with a profile that names a notification topic (the
// statement also writes the outbox, and the relay publishes while the load
// runs) and with one that names none. Rounds interleave the two, so the ratio
// per round is the figure; the outbox is drained before every cell, so a
// cell never pays for the previous one's events.
import { spawn } from "node:child_process";
import { readdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import { create, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import pg from "pg";
import { ConversationProfiles } from "../src/gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import { Conversations, CreateConversationRequestSchema } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { pubsubEmulatorUnavailable, startPubSubEmulator, type PubSubEmulator } from "../test/support/pubsub-emulator.js";
import { grpcFrame, h2load, type LoadResult } from "./h2load.js";
import { freePort } from "./free-port.js";

export interface NotificationTopicCellOptions {
  readonly databaseUrl: string;
  /** The parent the profiles and conversations go under (its project is the topic's). */
  readonly parent: string;
  readonly rounds: number;
  readonly seconds: number;
  readonly connections: number;
  readonly streams: number;
  readonly poolSize: number;
  /** h2load's CPU; the Pub/Sub emulator runs there too, so the service's CPU is the service's. */
  readonly loadCpu: string;
  readonly serverCpu: string;
  /** The node flags the service ships with (package.json's start script). */
  readonly nodeFlags: readonly string[];
  /** False runs the service with EVENTS_PUBLISH=false: the outbox write alone, without the relay's work beside it. */
  readonly publish: boolean;
}

type Variant = "no topic" | "notification topic";

interface Round {
  readonly round: number;
  readonly results: Record<Variant, LoadResult>;
  /**
   * The service's CPU time per call, in µs, from the cell's start until its
   * events were relayed: what the one core pays for a call and its events,
   * less moved by the machine's other load than rps.
   */
  readonly cpuPerCallUs: Record<Variant, number>;
  /** The same for the Pub/Sub emulator's processes (on h2load's CPU), when it runs. */
  readonly emulatorCpuPerCallUs: Record<Variant, number>;
  /** Every Postgres process's CPU (the cluster serves nothing else while the bench runs). */
  readonly postgresCpuPerCallUs: Record<Variant, number>;
  /** How long the relay took, after the topic cell, to empty the outbox. */
  readonly drainSeconds: number;
}

const DRAIN_LIMIT_MS = 120_000;
// Linux's USER_HZ, the unit of CPU times in /proc/<pid>/stat.
const CLOCK_TICKS = 100;
// BENCH_CPU_PROF=<dir>: the service writes a CPU profile there (node --cpu-prof) as it stops, as bench/run.ts's does.
const CPU_PROFILE_DIR = process.env.BENCH_CPU_PROF;

/** Runs the cell and returns its report (a markdown table and how the events were relayed). */
export async function benchNotificationTopic(options: NotificationTopicCellOptions): Promise<string> {
  const unavailable = options.publish ? pubsubEmulatorUnavailable() : "BENCH_EVENTS_PUBLISH=false";
  const emulator: PubSubEmulator | undefined = unavailable === undefined ? await startPubSubEmulator({ cpus: options.loadCpu }) : undefined;
  const [, project] = options.parent.split("/");
  const topic = `projects/${project}/topics/bench-events`;
  // A topic without subscriptions: the emulator acknowledges and keeps nothing.
  if (emulator !== undefined) await fetch(`http://${emulator.host}/v1/${topic}`, { method: "PUT", headers: { "content-type": "application/json" }, body: "{}" });
  const publishing = emulator === undefined ? `not published, EVENTS_PUBLISH=false (${unavailable})` : `published to the Pub/Sub emulator (${emulator.host}, CPU ${options.loadCpu})`;

  const port = await freePort();
  const env = emulator === undefined ? { EVENTS_PUBLISH: "false" } : { PUBSUB_EMULATOR_HOST: emulator.host };
  const profiled = CPU_PROFILE_DIR === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", CPU_PROFILE_DIR];
  const args = [...options.nodeFlags, ...profiled, "dist/main.js", "--port", String(port), "--database-url", options.databaseUrl, "--sweep-interval", "0", "--database-pool-size", String(options.poolSize)];
  const service = spawn("taskset", ["-c", options.serverCpu, process.execPath, ...args], { env: { ...process.env, ...env, LOG_LEVEL: "warn" }, stdio: ["ignore", "ignore", "inherit"] });
  const outbox = new pg.Client({ connectionString: options.databaseUrl });
  outbox.on("error", () => undefined);
  try {
    await outbox.connect();
    const baseUrl = `http://127.0.0.1:${port}`;
    await waitForService(baseUrl);
    const bodies = await writeBodies(baseUrl, options.parent, topic);
    const emulatorPids = emulator === undefined ? [] : await processesNaming(emulator.host);
    // Unreported: the first seconds of a new process (JIT, lazy imports, the Pub/Sub client loading) would go to round 1.
    for (const variant of ["no topic", "notification topic"] as const) {
      await h2load(`${baseUrl}/google.cloud.dialogflow.v2.Conversations/CreateConversation`, bodies[variant], { connections: options.connections, streams: options.streams, seconds: 2, cpu: options.loadCpu });
      await drainOutbox(outbox, emulator !== undefined);
    }
    const rounds: Round[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      // Alternating which goes first cancels a drift of the machine within a round.
      const order: Variant[] = round % 2 === 1 ? ["no topic", "notification topic"] : ["notification topic", "no topic"];
      const results = {} as Record<Variant, LoadResult>;
      const cpuPerCallUs = {} as Record<Variant, number>;
      const emulatorCpuPerCallUs = {} as Record<Variant, number>;
      const postgresCpuPerCallUs = {} as Record<Variant, number>;
      let drainSeconds = 0;
      for (const variant of order) {
        const cpuBefore = await cpuSeconds([service.pid]);
        const emulatorCpuBefore = await cpuSeconds(emulatorPids);
        const postgresCpuBefore = await postgresCpuSeconds();
        results[variant] = await h2load(`${baseUrl}/google.cloud.dialogflow.v2.Conversations/CreateConversation`, bodies[variant], {
          connections: options.connections,
          streams: options.streams,
          seconds: options.seconds,
          cpu: options.loadCpu,
        });
        const drained = await drainOutbox(outbox, emulator !== undefined);
        if (variant === "notification topic") drainSeconds = drained;
        // h2load's warm-up second runs at about the measured rate.
        const calls = results[variant].rps * (options.seconds + 1);
        cpuPerCallUs[variant] = (1e6 * ((await cpuSeconds([service.pid])) - cpuBefore)) / calls;
        emulatorCpuPerCallUs[variant] = (1e6 * ((await cpuSeconds(emulatorPids)) - emulatorCpuBefore)) / calls;
        postgresCpuPerCallUs[variant] = (1e6 * cpuSince(postgresCpuBefore, await postgresCpuSeconds())) / calls;
        console.log(
          `round ${round} create ${variant.padEnd(20)} ${results[variant].rps.toFixed(0).padStart(7)} rps  p50 ${results[variant].p50.toFixed(2)} ms  p99 ${results[variant].p99.toFixed(2)} ms  CPU ${cpuPerCallUs[variant].toFixed(0).padStart(4)} µs/call (emulator ${emulatorCpuPerCallUs[variant].toFixed(0)}, Postgres ${postgresCpuPerCallUs[variant].toFixed(0)})`,
        );
      }
      rounds.push({ round, results, cpuPerCallUs, emulatorCpuPerCallUs, postgresCpuPerCallUs, drainSeconds });
    }
    const metrics = await (await fetch(`${baseUrl}/metrics`)).text();
    return report(rounds, options, publishing, metrics);
  } finally {
    service.kill("SIGTERM");
    await new Promise((resolve) => service.once("exit", resolve));
    await outbox.end().catch(() => undefined);
    await emulator?.stop();
  }
}

async function writeBodies(baseUrl: string, parent: string, topic: string): Promise<Record<Variant, string>> {
  const transport = createGrpcTransport({ baseUrl });
  const profiles = createClient(ConversationProfiles, transport);
  const conversations = createClient(Conversations, transport);
  const quiet = await profiles.createConversationProfile({ parent, conversationProfile: { displayName: "Bench, no topic" } });
  const notifying = await profiles.createConversationProfile({
    parent,
    conversationProfile: { displayName: "Bench, notification topic", notificationConfig: { topic }, newMessageEventNotificationConfig: { topic } },
  });
  const bodies = {} as Record<Variant, string>;
  for (const [variant, profile] of [["no topic", quiet.name], ["notification topic", notifying.name]] as const) {
    const request = create(CreateConversationRequestSchema, { parent, conversation: { conversationProfile: profile } });
    // One call must answer before the variant is loaded: h2load sees HTTP statuses only.
    await conversations.createConversation(request);
    bodies[variant] = `${os.tmpdir()}/bench-create-${variant.replace(/ /g, "-")}-${process.pid}.bin`;
    await writeFile(bodies[variant], grpcFrame(toBinary(CreateConversationRequestSchema, request)));
  }
  return bodies;
}

/** Waits for the relay to publish what the cell wrote; seconds it took. With publishing off, the outbox is emptied by hand. */
async function drainOutbox(outbox: pg.Client, publishing: boolean): Promise<number> {
  const started = Date.now();
  if (!publishing) {
    await outbox.query("DELETE FROM event_outbox");
    return 0;
  }
  for (;;) {
    const { rows } = await outbox.query<{ pending: string }>("SELECT count(*) AS pending FROM event_outbox");
    if (Number(rows[0]?.pending) === 0) return (Date.now() - started) / 1000;
    if (Date.now() - started > DRAIN_LIMIT_MS) throw new Error(`the relay left ${rows[0]?.pending} events unpublished for ${DRAIN_LIMIT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** User and system CPU time of processes so far, in seconds (taskset execs node, so the service's pid is node's). */
async function cpuSeconds(pids: readonly (number | undefined)[]): Promise<number> {
  let ticks = 0;
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
    // The fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  }
  return ticks / CLOCK_TICKS;
}

/** CPU seconds so far of each Postgres process, by pid. */
async function postgresCpuSeconds(): Promise<Map<number, number>> {
  const seconds = new Map<number, number>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    if ((await readFile(`/proc/${entry}/comm`, "utf8").catch(() => "")).trim() !== "postgres") continue;
    seconds.set(Number(entry), await cpuSeconds([Number(entry)]));
  }
  return seconds;
}

/** CPU seconds between two readings; a process that started in between counts from zero, one that ended is lost. */
function cpuSince(before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>): number {
  let seconds = 0;
  for (const [pid, now] of after) seconds += now - (before.get(pid) ?? 0);
  return seconds;
}

/** Processes whose command line names `host`'s port: the emulator's gcloud and java. */
async function processesNaming(host: string): Promise<number[]> {
  const port = host.split(":")[1] ?? host;
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const args = (await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "")).split("\0");
    if (args.some((arg) => arg === port || arg.endsWith(`:${port}`) || arg.endsWith(`=${port}`))) pids.push(Number(entry));
  }
  return pids;
}

function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function report(rounds: readonly Round[], options: NotificationTopicCellOptions, publishing: string, metrics: string): string {
  const ratios = rounds.map((r) => r.results["notification topic"].rps / r.results["no topic"].rps);
  const sorted = [...ratios].sort((a, b) => a - b);
  const median = medianOf(ratios);
  // On the one core the service has, calls per second go as the inverse of CPU per call.
  const cpuRatios = rounds.map((r) => r.cpuPerCallUs["no topic"] / r.cpuPerCallUs["notification topic"]);
  // Calls of every topic cell over calls of every no-topic cell: one figure that a single noisy cell moves less.
  const total = (variant: Variant) => rounds.reduce((sum, r) => sum + r.results[variant].rps, 0);
  const published = /^events_published_total (\d+)/m.exec(metrics)?.[1] ?? "0";
  const lines = [
    `CreateConversation, c=${options.connections * options.streams} (${options.connections} connections x ${options.streams} streams), ${options.seconds} s cells; events ${publishing}`,
    "",
    "| round | no topic rps | notification topic rps | ratio | p99 ms (no topic / topic) | service CPU µs/call (no topic / topic) | emulator CPU µs/call (topic) | Postgres CPU µs/call (no topic / topic) | relay drained the topic cell's events in |",
    "|---|---|---|---|---|---|---|---|---|",
    ...rounds.map(
      (r, i) =>
        `| ${r.round} | ${r.results["no topic"].rps.toFixed(0)} | ${r.results["notification topic"].rps.toFixed(0)} | ${ratios[i]!.toFixed(2)} | ${r.results["no topic"].p99.toFixed(1)} / ${r.results["notification topic"].p99.toFixed(1)} | ${r.cpuPerCallUs["no topic"].toFixed(0)} / ${r.cpuPerCallUs["notification topic"].toFixed(0)} | ${r.emulatorCpuPerCallUs["notification topic"].toFixed(0)} | ${r.postgresCpuPerCallUs["no topic"].toFixed(0)} / ${r.postgresCpuPerCallUs["notification topic"].toFixed(0)} | ${r.drainSeconds.toFixed(1)} s |`,
    ),
    "",
    `ratio per round: median ${median.toFixed(2)}, min ${sorted[0]!.toFixed(2)}, max ${sorted[sorted.length - 1]!.toFixed(2)}; all topic cells / all no-topic cells ${(total("notification topic") / total("no topic")).toFixed(2)} (target >= 0.90); events_published_total ${published}`,
    `service CPU per call, no topic / topic, per round: median ${medianOf(cpuRatios).toFixed(2)}, min ${Math.min(...cpuRatios).toFixed(2)}, max ${Math.max(...cpuRatios).toFixed(2)}; medians ${medianOf(rounds.map((r) => r.cpuPerCallUs["no topic"])).toFixed(0)} / ${medianOf(rounds.map((r) => r.cpuPerCallUs["notification topic"])).toFixed(0)} µs`,
    `Postgres CPU per call (all its processes), medians, no topic / topic: ${medianOf(rounds.map((r) => r.postgresCpuPerCallUs["no topic"])).toFixed(0)} / ${medianOf(rounds.map((r) => r.postgresCpuPerCallUs["notification topic"])).toFixed(0)} µs`,
  ];
  return lines.join("\n");
}

async function waitForService(baseUrl: string): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    if (await fetch(`${baseUrl}/readyz`).then((response) => response.ok, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the service at ${baseUrl} did not get ready`);
}

