import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

// The compiled service (dist/, built by the global setup) as a child process,
// started the way `npm start` starts it.

export interface ServiceProcess {
  readonly child: ChildProcess;
  /** Every stdout line so far, parsed (the service logs JSON lines). */
  readonly lines: Array<Record<string, unknown>>;
  /** Resolves with the port once the service logs that it serves; rejects if it exits first. */
  readonly serving: Promise<number>;
  readonly exited: Promise<number | null>;
  readonly stderr: () => string;
}

/** `via`: a command that starts the service as its child (e.g. one standing in for a process supervisor); `child` is then that command. */
export function startService(args: readonly string[], env: Record<string, string> = {}, via: readonly string[] = []): ServiceProcess {
  const command = [...via, process.execPath, "--enable-source-maps", "dist/main.js", ...args];
  const child = spawn(command[0] ?? "", command.slice(1), {
    env: { ...process.env, DATABASE_URL: "", TEST_DATABASE_URL: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Array<Record<string, unknown>> = [];
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  // "close" comes after stdout is drained, so every line is in `lines` by then.
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  const serving = new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      lines.push(entry);
      if (typeof entry.port === "number") resolve(entry.port);
    });
    void exited.then((code) => reject(new Error(`the service exited (${code}) before it served: ${stderr}`)));
  });
  serving.catch(() => undefined); // awaited by the tests that expect it to serve
  return { child, lines, serving, exited, stderr: () => stderr };
}
