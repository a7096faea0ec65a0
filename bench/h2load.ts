import { execFile } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface LoadResult {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  /** Requests h2load counted as failed or errored (HTTP level; gRPC statuses are checked separately). */
  readonly failed: number;
}

/**
 * Unary gRPC calls from h2load (a C load generator) pinned to CPU 0:
 * `connections` × `streams` calls in flight, the same request body each time.
 */
export async function h2load(url: string, body: string, options: { connections: number; streams: number; seconds: number; cpu: string }): Promise<LoadResult> {
  const log = join(tmpdir(), `h2load-${process.pid}-${Date.now()}.log`);
  const { stdout } = await run(
    "taskset",
    [
      "-c", options.cpu, "h2load",
      "-c", String(options.connections), "-m", String(options.streams),
      "-D", String(options.seconds), "--warm-up-time=1",
      "-H", "content-type: application/grpc", "-H", "te: trailers",
      "-d", body, `--log-file=${log}`, url,
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const rps = Number(/finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(stdout)?.[1] ?? NaN);
  const failed = Number(/(\d+) failed/.exec(stdout)?.[1] ?? 0) + Number(/(\d+) errored/.exec(stdout)?.[1] ?? 0);
  const micros = (await readFile(log, "utf8"))
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => Number(line.split("\t")[2]))
    .sort((a, b) => a - b);
  await rm(log, { force: true });
  const at = (q: number) => (micros[Math.min(micros.length - 1, Math.floor(q * micros.length))] ?? NaN) / 1000;
  return { rps, p50: at(0.5), p99: at(0.99), failed };
}

/** The gRPC length-prefixed frame h2load sends as the request body. */
export function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}
