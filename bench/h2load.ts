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

export interface LoadOptions {
  readonly connections: number;
  /** Calls in flight per connection (HTTP/2 streams; with http1, pipelined requests). */
  readonly streams: number;
  readonly seconds: number;
  readonly cpu: string;
  /** HTTP/1.1 instead of HTTP/2. */
  readonly http1?: boolean;
  /** Request headers; unary gRPC's by default. */
  readonly headers?: readonly string[];
}

export const GRPC_HEADERS = ["content-type: application/grpc", "te: trailers"];

/**
 * Calls from h2load (a C load generator) pinned to a CPU: `connections` ×
 * `streams` in flight, the same request each time; a POST of the file `body`,
 * or a GET without one.
 */
export async function h2load(url: string, body: string | undefined, options: LoadOptions): Promise<LoadResult> {
  const log = join(tmpdir(), `h2load-${process.pid}-${Date.now()}.log`);
  const { stdout } = await run(
    "taskset",
    [
      "-c", options.cpu, "h2load",
      ...(options.http1 === true ? ["--h1"] : []),
      "-c", String(options.connections), "-m", String(options.streams),
      "-D", String(options.seconds), "--warm-up-time=1",
      ...(options.headers ?? GRPC_HEADERS).flatMap((header) => ["-H", header]),
      ...(body === undefined ? [] : ["-d", body]),
      `--log-file=${log}`, url,
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
