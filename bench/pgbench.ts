import { execFile } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import type { LoadResult } from "./h2load.js";
import type { RecordedStatement } from "./recorded-statement.js";

const run = promisify(execFile);

async function parameterTypes(databaseUrl: string, text: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`PREPARE bench_types AS ${text}`);
    const { rows } = await client.query<{ types: string }>(
      "SELECT parameter_types::text AS types FROM pg_prepared_statements WHERE name = 'bench_types'",
    );
    return (rows[0]?.types ?? "{}").replace(/[{}"]/g, "").split(",").filter((type) => type !== "");
  } finally {
    await client.end();
  }
}

/**
 * pgbench takes every `:word` for a variable, even inside a string literal
 * (to_char's 'HH24:MI:SS'), and sends it as a parameter nothing types. The
 * colon is spelled chr(58) instead, a constant Postgres folds when it plans.
 */
export function withoutColonsInLiterals(sql: string): string {
  return sql.replace(/'(?:[^']|'')*'/g, (literal) => (literal.includes(":") ? `(${literal.split(":").join("' || chr(58) || '")})` : literal));
}

/**
 * The statement alone, prepared, from pgbench at the same concurrency: what
 * Postgres can do with no service in front. `freshIndex` names the parameter
 * that must differ per call (a new conversation ID).
 */
export async function pgbench(
  databaseUrl: string,
  statement: RecordedStatement,
  options: { clients: number; seconds: number; cpu: string; freshIndex?: number },
): Promise<LoadResult> {
  const script = join(tmpdir(), `pgbench-${process.pid}-${Date.now()}.sql`);
  const defines: string[] = [];
  statement.values.forEach((value, index) => {
    if (index !== options.freshIndex && value !== null) defines.push("-D", `p${index + 1}=${String(value)}`);
  });
  const prelude = options.freshIndex === undefined ? "" : `\\set p${options.freshIndex + 1} random(1, 1000000000000)\n`;
  // pgbench sends each occurrence of a variable as a parameter of its own, so one that Postgres typed
  // from another occurrence would be untyped: every occurrence gets the type Postgres gives $n.
  const types = await parameterTypes(databaseUrl, statement.text);
  const text = statement.text
    .replace(/--[^\n]*/g, "")
    // A NULL parameter (AnalyzeContent without request_id) has no pgbench spelling: it is written as NULL.
    .replace(/\$(\d+)/g, (_, n: string) => `(${statement.values[Number(n) - 1] === null ? "NULL" : `:p${n}`})::${types[Number(n) - 1] ?? "text"}`)
    .replace(/\s+/g, " ")
    .trim();
  const runnable = withoutColonsInLiterals(text);
  await writeFile(script, `${prelude}${runnable};\n`);
  try {
    const { stdout } = await run(
      "taskset",
      ["-c", options.cpu, "pgbench", "-n", "-M", "prepared", "-c", String(options.clients), "-j", "1", "-T", String(options.seconds), "-r", ...defines, "-f", script, databaseUrl],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    const rps = Number(/tps = ([\d.]+)/.exec(stdout)?.[1] ?? NaN);
    const latency = Number(/latency average = ([\d.]+) ms/.exec(stdout)?.[1] ?? NaN);
    const failed = Number(/number of failed transactions: (\d+)/.exec(stdout)?.[1] ?? 0);
    return { rps, p50: latency, p99: NaN, failed };
  } catch (error) {
    // A shared Postgres may refuse connections for a moment; the round records no figure rather than ending the run.
    console.error(`pgbench failed: ${(error as { stderr?: string }).stderr?.split("\n")[0] ?? String(error)}`);
    return { rps: NaN, p50: NaN, p99: NaN, failed: 1 };
  } finally {
    await rm(script, { force: true });
  }
}
