import cluster from "node:cluster";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { pino } from "pino";
import { AuthConfigError } from "./auth/auth-config-error.js";
import { buildAuthorizer, describeAuth, type AuthSettings } from "./auth/auth-setup.js";
import type { Authorizer } from "./auth/authorizer.js";
import { parseBootstrap, type BootstrapProfile } from "./domain/bootstrap.js";
import { parseBootstrapFulfillments, type BootstrapFulfillment } from "./domain/bootstrap-fulfillments.js";
import { InvalidFieldError, StoreUnavailableError } from "./domain/errors.js";
import { ConfigError, helpText, loadConfig, wantsHelp } from "./config.js";
import { readTlsFiles, type TlsFiles } from "./http/tls-files.js";
import { logDatabaseAvailability } from "./observability/database-availability-log.js";
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
let bootstrapFulfillments: BootstrapFulfillment[] | undefined;
if (config.bootstrapFile !== undefined) {
  try {
    const json: unknown = JSON.parse(await readFile(config.bootstrapFile, "utf8"));
    bootstrap = parseBootstrap(json);
    bootstrapFulfillments = parseBootstrapFulfillments(json);
  } catch (error) {
    const reason = error instanceof InvalidFieldError ? `${error.field} ${error.rule}` : (error as Error).message;
    process.stderr.write(`Bootstrap file ${config.bootstrapFile}: ${reason}\n`);
    process.exit(2);
  }
}

const authSettings: AuthSettings = {
  tokensFile: config.authTokensFile,
  jwt:
    config.authJwtIssuer === undefined
      ? undefined
      : {
          issuer: config.authJwtIssuer,
          audience: config.authJwtAudience ?? "",
          jwksFile: config.authJwtJwksFile,
          projectsClaim: config.authJwtProjectsClaim,
          roleClaim: config.authJwtRoleClaim,
        },
};
let authorizer: Authorizer;
try {
  authorizer = await buildAuthorizer(authSettings);
} catch (error) {
  if (!(error instanceof AuthConfigError)) throw error;
  process.stderr.write(`Auth: ${error.message}\n`);
  process.exit(2);
}

const tlsPaths = config.tlsCertFile !== undefined && config.tlsKeyFile !== undefined ? { certFile: config.tlsCertFile, keyFile: config.tlsKeyFile } : undefined;
let tls: TlsFiles | undefined;
if (tlsPaths !== undefined) {
  try {
    tls = await readTlsFiles(tlsPaths.certFile, tlsPaths.keyFile);
  } catch (error) {
    process.stderr.write(`TLS: ${(error as Error).message}\n`);
    process.exit(2);
  }
}
const scheme = tls === undefined ? "http" : "https";

// Asynchronous, buffered writes: a write(2) per RPC line cost more than the
// rest of the line's work, so lines go out 4 KiB at a time under load, and
// within a quarter of a second when traffic is light.
const logDestination = pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 250 });
const log = pino({ level: config.logLevel }, logDestination);

// SIGHUP re-reads the tokens file (and JWKS file) and the TLS certificate and key; a bad file is
// refused with one log line and the previous one stays in force. Resolves true when anything was taken.
async function reloadFiles(useTls: (files: TlsFiles) => void): Promise<boolean> {
  const auth = authorizer.reload().then(
    () => {
      log.info({ auth: describeAuth(authSettings) }, "auth files reloaded");
      return true;
    },
    (error: unknown) => {
      log.error(`auth reload refused, keeping the previous files: ${(error as Error).message}`);
      return false;
    },
  );
  const certificate =
    tlsPaths === undefined
      ? false
      : readTlsFiles(tlsPaths.certFile, tlsPaths.keyFile)
          .then(useTls)
          .then(
            () => {
              log.info({ certFile: tlsPaths.certFile }, "TLS certificate reloaded");
              return true;
            },
            (error: unknown) => {
              log.error(`TLS reload refused, keeping the previous certificate: ${(error as Error).message}`);
              return false;
            },
          );
  return (await Promise.all([auth, certificate])).includes(true);
}

if (config.workers > 1 && cluster.isPrimary) {
  // The primary, which serves no connection itself, checks the files first, so a bad one is refused
  // once; when anything was taken each worker reloads its own.
  process.on("SIGHUP", () => {
    void reloadFiles(() => undefined).then((taken) => {
      if (taken) Object.values(cluster.workers ?? {}).forEach((worker) => worker?.process.kill("SIGHUP"));
    });
  });
  await superviseWorkers(config.workers, log, () => logDestination.flushSync());
}
// A line at once, so nobody waits on a silent terminal while the database starts.
log.info(
  { database: config.databaseUrl === undefined ? "embedded" : "postgres" },
  config.databaseUrl === undefined ? `starting, embedded Postgres in ${config.dataDir}` : "starting, connecting to Postgres",
);
logDestination.flushSync();
let database;
try {
  database = await openDatabase(config.databaseUrl, config.dataDir, config.databasePoolSize, {
    onAvailabilityChange: logDatabaseAvailability(log),
    // An embedded Postgres that dies is restarted; one that cannot be ends the process, for its supervisor to restart.
    supervision: {
      log,
      onLost: (reason) => {
        log.fatal(reason);
        logDestination.flushSync();
        process.exit(1);
      },
    },
  });
} catch (error) {
  log.fatal({ err: error }, (error as Error).message);
  logDestination.flushSync();
  process.exit(1);
}
// Start-up does not wait for a database that refuses: one line and exit 1, so that a supervisor
// (Compose's restart policy, Kubernetes, systemd) shows the failure and restarts with its own backoff.
const server = await startServer({
  database,
  log,
  host: config.host,
  port: config.port,
  conversationTtlSeconds: config.conversationTtlSeconds,
  purgeAfterSeconds: config.purgeAfterSeconds,
  sweepIntervalSeconds: config.sweepIntervalSeconds,
  listScanRows: config.listScanRows,
  bootstrap,
  bootstrapFulfillments,
  onSweep: (counts) => {
    if (counts.completed + counts.purged > 0) log.info({ sweep: counts }, "swept conversations");
  },
  corsOrigins: config.corsOrigins,
  authorizer,
  publicMetrics: config.publicMetrics,
  limits: {
    maxMessageBytes: config.maxMessageBytes,
    maxInFlight: config.maxInFlight,
    maxConcurrentStreams: config.maxConcurrentStreams,
    maxConnections: config.maxConnections,
    requestTimeoutMs: config.requestTimeoutSeconds * 1000,
    idleTimeoutMs: config.idleTimeoutSeconds * 1000,
  },
  emulatorReset: config.emulatorReset,
  webhookAllowedHosts: config.webhookAllowedHosts,
  events: {
    publish: config.eventsPublish,
    pubsubEmulatorHost: config.pubsubEmulatorHost,
    outboxMax: config.eventsOutboxMax,
    missingTopicSeconds: config.eventsMissingTopicSeconds,
  },
  tls,
  onInternalError: (error) => log.error({ err: error }, "internal error"),
}).catch((error: unknown) => {
  if (!(error instanceof StoreUnavailableError)) throw error;
  logDestination.flushSync();
  process.stderr.write(`Cannot start: ${error.message}\n`);
  process.exit(1);
});
const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
// The database URL is never logged: it may carry a password.
log.info(
  { address: `${scheme}://${config.host}:${server.port}`, port: server.port, database: database.kind, version, auth: authorizer.enabled ? "token" : "open" },
  `serving Dialogflow v2 Conversations on ${scheme}://${config.host}:${server.port} (${database.kind === "embedded" ? `embedded database in ${config.dataDir}` : "Postgres"}; ${describeAuth(authSettings)})`,
);

process.on("SIGHUP", () => void reloadFiles((files) => server.replaceTlsCertificate(files)));

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
