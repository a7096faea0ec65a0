import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chown, mkdtemp, rm } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const BIN = "/usr/lib/postgresql/15/bin";

/** A Postgres cluster of the test's own, on a spare port, that the test may stop and start. */
export interface ThrowawayPostgres {
  readonly url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** `pg_ctl restart -m fast`: every session is terminated, the server shuts down cleanly and starts again. */
  restart(): Promise<void>;
  destroy(): Promise<void>;
}

/** Why a throwaway cluster cannot be made here, or undefined when it can. */
export function throwawayPostgresUnavailable(): string | undefined {
  if (!existsSync(`${BIN}/initdb`)) return `no PostgreSQL binaries in ${BIN}`;
  if (process.getuid?.() !== 0) return "initdb must run as the postgres user, which needs root";
  return undefined;
}

export async function createThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const dir = await mkdtemp(join(tmpdir(), "conversations-pg-"));
  const { stdout } = await run("id", ["-u", "postgres"]);
  const uid = Number(stdout.trim());
  await chown(dir, uid, uid);
  const asPostgres = (command: string, args: string[]) => run("runuser", ["-u", "postgres", "--", `${BIN}/${command}`, ...args]);
  await asPostgres("initdb", ["-D", dir, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const port = await sparePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const start = async () => {
    await asPostgres("pg_ctl", ["-D", dir, "-l", join(dir, "log"), "-w", "-o", options, "start"]);
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    async restart() {
      await asPostgres("pg_ctl", ["-D", dir, "-l", join(dir, "log"), "-w", "-m", "fast", "-o", options, "restart"]);
    },
    async stop() {
      await asPostgres("pg_ctl", ["-D", dir, "-w", "-m", "immediate", "stop"]);
    },
    async destroy() {
      await asPostgres("pg_ctl", ["-D", dir, "-w", "-m", "immediate", "stop"]).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function sparePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
