// npm run bench:first-run: what a new user sees. Runs `npm start` as the
// README says (embedded default, a fresh DATA_DIR), and reports the time to
// its first line and to serving, on a first start (creates the database) and
// on later ones, then the memory of every process `npm start` runs after a
// few hundred calls.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ConversationProfiles } from "../src/gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import { Conversations } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";

const STARTS = Number(process.env.BENCH_STARTS ?? 5);
const CALLS = Number(process.env.BENCH_CALLS ?? 300);
const PORT = Number(process.env.BENCH_PORT ?? 18_480);

interface Started {
  readonly npm: ChildProcess;
  readonly firstLineMs: number;
  readonly servingMs: number;
}

async function start(dataDir: string): Promise<Started> {
  const began = performance.now();
  // Its own process group, so one signal reaches npm, node and nothing else of ours.
  const npm = spawn("npm", ["start"], {
    env: { ...process.env, PORT: String(PORT), DATA_DIR: dataDir, DATABASE_URL: "", LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "inherit"],
    detached: true,
  });
  let firstLineMs: number | undefined;
  const lines: string[] = [];
  return new Promise<Started>((resolve, reject) => {
    createInterface({ input: npm.stdout! }).on("line", (line) => {
      lines.push(line);
      if (!line.startsWith("{")) return; // npm's own banner, if any
      firstLineMs ??= performance.now() - began;
      if ((JSON.parse(line) as { port?: number }).port !== undefined) {
        resolve({ npm, firstLineMs, servingMs: performance.now() - began });
      }
    });
    npm.once("exit", (code) => reject(new Error(`npm start exited (${code}) before serving:\n${lines.join("\n")}`)));
  });
}

/** Ctrl+C as a terminal sends it; done once npm, sh and node are gone and Postgres has stopped. */
async function stop(started: Started, dataDir: string): Promise<void> {
  const group = -(started.npm.pid ?? 0);
  process.kill(group, "SIGINT");
  const gone = () => {
    try {
      process.kill(group, 0);
      return false;
    } catch {
      return true;
    }
  };
  for (let i = 0; i < 600 && !gone(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  for (let i = 0; i < 100 && existsSync(join(dataDir, "postgres", "postmaster.pid")); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  if (existsSync(join(dataDir, "postgres", "postmaster.pid"))) {
    console.log("  (the service exited and left its Postgres running; the next start stops it)");
  }
}

/** Every process under pid (itself included), from /proc. */
async function tree(pid: number): Promise<number[]> {
  const children = new Map<number, number[]>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...(children.get(all[i]!) ?? []));
  return all;
}

/** RSS and PSS in MB of one process (PSS shares shared pages out, so it adds up honestly). */
async function memory(pid: number): Promise<{ name: string; rss: number; pss: number }> {
  const rollup = await readFile(`/proc/${pid}/smaps_rollup`, "utf8").catch(() => "");
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(rollup)?.[1] ?? 0) / 1024;
  const name = (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).replaceAll("\0", " ").trim().slice(0, 60);
  return { name, rss: field("Rss"), pss: field("Pss") };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const dataDir = await mkdtemp(join(tmpdir(), "conversations-first-run-"));
await chmod(dataDir, 0o755); // as root, the embedded server runs as the postgres user
try {
  const data = join(dataDir, "data");
  const first = await start(data);
  await stop(first, data);
  const later: Started[] = [];
  for (let i = 0; i < STARTS; i++) {
    const started = await start(data);
    if (i < STARTS - 1) await stop(started, data);
    later.push(started);
  }
  const running = later.at(-1)!;
  const transport = createGrpcTransport({ baseUrl: `http://127.0.0.1:${PORT}` });
  const profiles = createClient(ConversationProfiles, transport);
  const conversations = createClient(Conversations, transport);
  const parent = "projects/first-run/locations/global";
  const profile = await profiles.createConversationProfile({ parent, conversationProfile: { displayName: "First run" } });
  for (let i = 0; i < CALLS / 3; i++) {
    const created = await conversations.createConversation({ parent, conversation: { conversationProfile: profile.name } });
    await conversations.getConversation({ name: created.name });
    await conversations.listConversations({ parent, pageSize: 20 });
  }
  const processes = await Promise.all((await tree(running.npm.pid ?? 0)).map(memory));
  await stop(running, data);

  const ms = (value: number) => `${Math.round(value)} ms`;
  console.log(`first start (creates the database): first line ${ms(first.firstLineMs)}, serving ${ms(first.servingMs)}`);
  console.log(
    `later starts (median of ${STARTS}): first line ${ms(median(later.map((s) => s.firstLineMs)))}, serving ${ms(median(later.map((s) => s.servingMs)))}` +
      ` (each: ${later.map((s) => Math.round(s.servingMs)).join(", ")} ms)`,
  );
  console.log(`memory after ${CALLS} calls, every process npm start runs:`);
  for (const p of processes) console.log(`  ${p.rss.toFixed(1).padStart(6)} MB RSS ${p.pss.toFixed(1).padStart(6)} MB PSS  ${p.name}`);
  const sum = (key: "rss" | "pss") => processes.reduce((total, p) => total + p[key], 0).toFixed(1);
  console.log(`  total: ${sum("rss")} MB RSS (shared pages counted in each process), ${sum("pss")} MB PSS`);
} finally {
  await rm(dataDir, { recursive: true, force: true });
}
