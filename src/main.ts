import cluster from "node:cluster";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { pino } from "pino";
import { parseBootstrap, type BootstrapProfile } from "./domain/bootstrap.js";
import { InvalidFieldError } from "./domain/errors.js";
import { ConfigError, helpText, loadConfig, wantsHelp } from "./config.js";
import { superviseWorkers } from "./cluster/supervise-workers.js";
import { startServer } from "./server.js";
import { openDatabase } from "./store/open-database.js";

const argv = process.argv.slice(2);
if (wantsHelp(argv)) {
  process.stdout.write(helpText());
  process.exit(0);
}

let config;
try {
  config = loadConfig(argv, process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`Configuration error: ${error.message}\n`);
  process.exit(2);
}

let bootstrap: BootstrapProfile[] | undefined;
if (config.bootstrapFile !== undefined) {
  try {
    bootstrap = parseBootstrap(JSON.parse(await readFile(config.bootstrapFile, "utf8")));
  } catch (error) {
    const reason = error instanceof InvalidFieldError ? `${error.field} ${error.rule}` : (error as Error).message;
    process.stderr.write(`Bootstrap file ${config.bootstrapFile}: ${reason}\n`);
    process.exit(2);
  }
}

// Asynchronous writes: under load, lines written while one write is in flight
// go out together instead of one write(2) per RPC on the request path.
const logDestination = pino.destination({ dest: 1, sync: false });
const log = pino({ level: config.logLevel }, logDestination);
if (config.workers > 1 && cluster.isPrimary) await superviseWorkers(config.workers, log, () => logDestination.flushSync());
const database = await openDatabase(config.databaseUrl, config.dataDir, config.databasePoolSize);
const server = await startServer({
  database,
  log,
  host: config.host,
  port: config.port,
  conversationTtlSeconds: config.conversationTtlSeconds,
  purgeAfterSeconds: config.purgeAfterSeconds,
  sweepIntervalSeconds: config.sweepIntervalSeconds,
  bootstrap,
  onSweep: (counts) => {
    if (counts.completed + counts.purged > 0) log.info({ sweep: counts }, "swept conversations");
  },
  corsOrigins: config.corsOrigins,
  onInternalError: (error) => log.error({ err: error }, "internal error"),
});
const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
// The database URL is never logged: it may carry a password.
log.info(
  { address: `http://${config.host}:${server.port}`, port: server.port, database: database.kind, version },
  `serving Dialogflow v2 Conversations on http://${config.host}:${server.port} (${database.kind === "embedded" ? `embedded database in ${config.dataDir}` : "Postgres"})`,
);

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    // Stop accepting, let calls in flight finish (bounded), stop the sweep, then close the pool.
    void server
      .close(config.shutdownGraceSeconds * 1000)
      .then(() => database.close())
      .then(() => {
        log.info("stopped");
        logDestination.flushSync();
        process.exit(0);
      });
  });
}
