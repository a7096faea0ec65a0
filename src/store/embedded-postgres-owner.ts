import { chown, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

// Who a server running on an embedded data directory belongs to. One server per
// directory: a second would reach the first one's socket and share its data
// unawares. A server whose service was killed (-9) keeps running without it and
// must be recognised as left behind, whatever process it was reparented to: init,
// or a subreaper (systemd user sessions, tini, some CI runners).

/** Beside postmaster.pid: the process id of the service that started the server. */
const OWNER_FILE = "service.pid";

export interface RunningServer {
  readonly pid: number;
  readonly port: number;
  readonly socketDirectory: string;
}

/** The server running on this directory, from its postmaster.pid (pid, data directory, start time, port, socket directory, ...). */
export async function runningServer(directory: string): Promise<RunningServer | undefined> {
  const lines = (await readFile(join(directory, "postmaster.pid"), "utf8").catch(() => "")).split("\n");
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !(await isAlive(pid))) return undefined;
  return { pid, port: Number(lines[3]), socketDirectory: lines[4] ?? directory };
}

/** Written before the server is started, so a server is never without its owner's id. */
export async function recordOwner(directory: string, owner: { uid?: number; gid?: number }): Promise<void> {
  const file = join(directory, OWNER_FILE);
  await writeFile(file, `${process.pid}\n`);
  // The same owner as the rest of the cluster, so the directory stays the server user's own.
  if (owner.uid !== undefined && owner.gid !== undefined) await chown(file, owner.uid, owner.gid);
}

export async function forgetOwner(directory: string): Promise<void> {
  await rm(join(directory, OWNER_FILE), { force: true });
}

/**
 * The service that started the server is gone: the server's parent is no longer
 * the process recorded as its owner (a dead parent's children are reparented, so
 * the parent of a server whose owner lives is that owner). Without a record (a
 * server started before records were kept), only a parent of init counts.
 * Linux only (/proc); elsewhere a running server is assumed in use.
 */
export async function isOrphaned(server: RunningServer, directory: string): Promise<boolean> {
  const fields = await procStat(server.pid);
  if (fields === undefined) return false;
  const parent = Number(fields[1]);
  const recorded = (await readFile(join(directory, OWNER_FILE), "utf8").catch(() => "")).trim();
  return recorded === "" ? parent === 1 : parent !== Number(recorded);
}

/** Fast shutdown of a server left behind: nobody serves on it. */
export async function stopOrphan(server: RunningServer, directory: string): Promise<void> {
  process.kill(server.pid, "SIGINT");
  for (let i = 0; i < 600 && (await isAlive(server.pid)); i++) await new Promise((resolveWait) => setTimeout(resolveWait, 50));
  if (await isAlive(server.pid)) throw new Error(`the embedded Postgres in ${directory} (process ${server.pid}) was left running and does not stop`);
}

/**
 * Running, or at least not yet gone: a process that ended but whose parent has
 * not reaped it (a subreaper that does not wait for what it adopts) is a zombie
 * that signals still reach, and counts as gone.
 */
async function isAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to another user (the postgres user, when we run as root).
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  return (await procStat(pid))?.[0] !== "Z";
}

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces): state, parent's pid, ... */
async function procStat(pid: number): Promise<string[] | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  return stat?.slice(stat.lastIndexOf(")") + 2).split(" ");
}
