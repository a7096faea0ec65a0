import { readFile, writeFile } from "node:fs/promises";
import { ConfigError, loadConfig } from "./config.js";
import { migrate } from "./store/migrate.js";
import { openDatabase } from "./store/open-database.js";
import { countRows, exportProject, importProject } from "./emulator/project-export.js";
import { ImportError } from "./store/project-data.js";

// The command line beside the service (npm run --silent cli -- ...): save a
// project's data as JSON and load it back, for test fixtures and migrations.
// It uses the service's database settings (DATABASE_URL, or the embedded
// Postgres in DATA_DIR, even while the service runs on it).

const USAGE = `Usage: node dist/cli.js <command> [flags] [database flags]

  export --project <id> [--out <file>]    write every row of the project as JSON (stdout without --out)
  import <file|-> [--replace]             load an export; --replace erases the project's rows first,
                                          else a row that exists already fails the whole import

Database flags as for the service: --database-url <url> (or DATABASE_URL), --data-dir <dir> (or DATA_DIR).
`;

class UsageError extends Error {}

async function main(argv: readonly string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(USAGE);
    return;
  }
  const own = takeFlags(rest, ["--project", "--out"], ["--replace"]);
  const config = loadConfig(own.rest, process.env);
  const database = await openDatabase(config.databaseUrl, config.dataDir, 2, { useRunning: true });
  try {
    await migrate(database);
    if (command === "export") {
      const project = own.values.get("--project");
      if (project === undefined) throw new UsageError("export needs --project <id>");
      const data = await exportProject(database, project);
      const text = `${JSON.stringify(data, null, 2)}\n`;
      const out = own.values.get("--out");
      if (out === undefined) process.stdout.write(text);
      else await writeFile(out, text);
      const counts = Object.fromEntries(Object.entries(data.tables).map(([table, rows]) => [table, rows.length]));
      process.stderr.write(`exported project ${project}: ${countRows(counts)}\n`);
    } else if (command === "import") {
      const file = own.positional[0];
      if (file === undefined) throw new UsageError("import needs a file (or - for standard input)");
      const text = file === "-" ? await readStdin() : await readFile(file, "utf8");
      const { project, written } = await importProject(database, text, { replace: own.flags.has("--replace") });
      process.stderr.write(`imported project ${project}: ${countRows(written)}\n`);
    } else {
      throw new UsageError(`unknown command ${command}`);
    }
  } finally {
    await database.close();
  }
}

/** Splits our own flags (with a value, or alone) and positionals from the database flags left for loadConfig. */
function takeFlags(args: readonly string[], withValue: readonly string[], alone: readonly string[]) {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const positional: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    const [name, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    if (withValue.includes(name)) {
      const value = inline ?? args[++i];
      if (value === undefined) throw new UsageError(`${name} needs a value`);
      values.set(name, value);
    } else if (alone.includes(name)) {
      flags.add(name);
    } else if (arg.startsWith("--")) {
      rest.push(arg);
      if (inline === undefined && args[i + 1] !== undefined) rest.push(args[++i] ?? "");
    } else {
      positional.push(arg);
    }
  }
  return { values, flags, positional, rest };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

try {
  await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError) {
    process.stderr.write(`${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (error instanceof ConfigError || error instanceof ImportError) {
    process.stderr.write(`${error instanceof ImportError ? "Import refused" : "Configuration error"}: ${error.message}\n`);
    process.exit(error instanceof ImportError ? 1 : 2);
  }
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}
