// BENCH_INSTRUCTIONS=1: instructions per call instead of calls per second.
// Every server runs under valgrind's callgrind; a cell sends `warm` calls one at
// a time, zeroes the counters, sends `calls` more and has callgrind dump what they
// cost, in every thread of the server and in its main thread alone. Unlike a rate,
// which moves ±30 % between rounds on a VM whose neighbours take its CPU, the count
// stays within 1–10 % of itself run to run (V8 tiers code up at moments that vary),
// so a change of a tenth shows in one run.
// What it leaves out: the kernel (socket reads and writes, wake-ups) and Postgres.
// The threads other than the main one are mostly V8's optimising compiler, still
// at work a few thousand calls in; the main thread is the call's own work.
import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface InstructionCount {
  /** Every thread's instructions, per call. */
  readonly perCall: number;
  /** The main thread's (the event loop's), per call. */
  readonly mainThreadPerCall: number;
}

export interface CountedLoad {
  readonly url: string;
  /** A file holding the request body; undefined for a GET. */
  readonly body: string | undefined;
  readonly headers: readonly string[];
  readonly http1: boolean;
  readonly cpu: string;
}

/** The command prefix that runs a server under callgrind, its dumps named after `prefix` and its pid. */
export function underCallgrind(prefix: string): string[] {
  return ["valgrind", "--quiet", "--tool=callgrind", "--separate-threads=yes", `--callgrind-out-file=${prefix}.%p`];
}

/**
 * What `calls` calls cost the server `pid` (run under underCallgrind(prefix)),
 * after `warm` calls that tier its code up. `dump` numbers the server's dumps from 1.
 */
export async function countInstructions(pid: number, prefix: string, dump: number, load: CountedLoad, warm: number, calls: number): Promise<InstructionCount> {
  await sendCalls(load, warm);
  await run("callgrind_control", ["-z", String(pid)]);
  await sendCalls(load, calls);
  await run("callgrind_control", ["-d", String(pid)]);
  const base = `${prefix.split("/").pop()}.${pid}.${dump}-`;
  const directory = prefix.slice(0, prefix.lastIndexOf("/"));
  let total = 0;
  let main = 0;
  for (const file of (await readdir(directory)).filter((name) => name.startsWith(base))) {
    const text = await readFile(join(directory, file), "utf8");
    const instructions = Number(/^(?:summary|totals): (\d+)/m.exec(text)?.[1] ?? NaN);
    total += instructions;
    if (file.endsWith("-01")) main = instructions;
  }
  if (total === 0 || Number.isNaN(total)) throw new Error(`callgrind wrote no dump ${base}* in ${directory}`);
  return { perCall: total / calls, mainThreadPerCall: main / calls };
}

/** `calls` calls, one at a time, each answered before the next is sent; any failure is an error. */
async function sendCalls(load: CountedLoad, calls: number): Promise<void> {
  const { stdout } = await run(
    "taskset",
    [
      "-c", load.cpu, "h2load",
      ...(load.http1 ? ["--h1"] : []),
      "-n", String(calls), "-c", "1", "-m", "1",
      ...load.headers.flatMap((header) => ["-H", header]),
      ...(load.body === undefined ? [] : ["-d", load.body]),
      load.url,
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const succeeded = Number(/(\d+) succeeded/.exec(stdout)?.[1] ?? NaN);
  if (succeeded !== calls) throw new Error(`${load.url}: ${succeeded} of ${calls} calls succeeded\n${stdout}`);
}
