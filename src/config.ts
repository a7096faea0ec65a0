import { parseDuration } from "./domain/durations.js";
import type { OriginPolicy } from "./http/cors.js";
import { DEFAULT_WEBHOOK_HOSTS, parseWebhookHostPolicy, type WebhookHostPolicy } from "./webhook/webhook-hosts.js";

// Every setting of the service, read from the environment and from --flags
// (a flag wins), validated before anything starts. Nothing else reads process.env.

export interface Config {
  readonly host: string;
  readonly port: number;
  /** Postgres to use; when absent the embedded database under dataDir is used. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly conversationTtlSeconds: number;
  readonly purgeAfterSeconds: number;
  readonly sweepIntervalSeconds: number;
  /** Most rows one list call examines; a filter no index answers ends its page early there. */
  readonly listScanRows: number;
  /** A JSON file of profiles and telephony numbers to load at start. */
  readonly bootstrapFile: string | undefined;
  readonly logLevel: string;
  /** Connections to Postgres; the service's concurrency against the database. */
  readonly databasePoolSize: number;
  /** How long a shutdown waits for calls in flight before cutting connections. */
  readonly shutdownGraceSeconds: number;
  readonly corsOrigins: OriginPolicy;
  /** Server processes sharing the port (node:cluster); more than 1 needs DATABASE_URL. */
  readonly workers: number;
  /** Tokens (by sha256), their projects and roles; when set, every call needs a bearer token. */
  readonly authTokensFile: string | undefined;
  /** OIDC/JWT bearer tokens: the issuer (iss) whose keys sign them; when set, every call needs a bearer token. */
  readonly authJwtIssuer: string | undefined;
  readonly authJwtAudience: string | undefined;
  /** Keys to check JWTs with, instead of the issuer's published ones. */
  readonly authJwtJwksFile: string | undefined;
  readonly authJwtProjectsClaim: string;
  readonly authJwtRoleClaim: string;
  /** Serve /metrics without a token even when auth is on. */
  readonly publicMetrics: boolean;
  readonly maxMessageBytes: number;
  readonly maxInFlight: number;
  readonly maxConcurrentStreams: number;
  readonly maxConnections: number;
  readonly requestTimeoutSeconds: number;
  readonly idleTimeoutSeconds: number;
  /** Serve the emulator's reset endpoints, which erase data: for test suites only. */
  readonly emulatorReset: boolean;
  /** PEM certificate chain and key: serve TLS (h2 and HTTP/1.1 by ALPN) instead of cleartext. */
  readonly tlsCertFile: string | undefined;
  readonly tlsKeyFile: string | undefined;
  /** Hosts the agents' fulfillment webhooks may reach: an editor chooses the URL, this bounds it. */
  readonly webhookAllowedHosts: WebhookHostPolicy;
  /** Publish conversation events to the profiles' Pub/Sub topics; off, they wait in the outbox (up to its bound). */
  readonly eventsPublish: boolean;
  /** Google's variable: host:port of a Pub/Sub emulator; unset means Google's Pub/Sub with Google credentials. */
  readonly pubsubEmulatorHost: string | undefined;
  /** Most events the outbox keeps; past it the oldest are dropped, so an absent Pub/Sub cannot fill the database. */
  readonly eventsOutboxMax: number;
  /** How long an event for a topic that does not exist is retried before it is dropped. */
  readonly eventsMissingTopicSeconds: number;
}

interface Setting<K extends keyof Config> {
  readonly key: K;
  readonly env: string;
  readonly flag: string;
  readonly fallback: string | undefined;
  readonly description: string;
  readonly parse: (value: string) => Config[K];
}

function setting<K extends keyof Config>(definition: Setting<K>): Setting<K> {
  return definition;
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

const SETTINGS = [
  setting({ key: "host", env: "HOST", flag: "--host", fallback: "127.0.0.1", description: "address to listen on", parse: nonEmpty }),
  setting({ key: "port", env: "PORT", flag: "--port", fallback: "8080", description: "port for gRPC, gRPC-Web, Connect and REST", parse: parsePort }),
  setting({
    key: "databaseUrl",
    env: "DATABASE_URL",
    flag: "--database-url",
    fallback: undefined,
    description: "Postgres URL (postgres://user:pass@host:5432/db); unset means the embedded database",
    parse: parsePostgresUrl,
  }),
  setting({ key: "dataDir", env: "DATA_DIR", flag: "--data-dir", fallback: "./.data", description: "where the embedded database keeps its files", parse: nonEmpty }),
  setting({
    key: "conversationTtlSeconds",
    env: "CONVERSATION_TTL",
    flag: "--conversation-ttl",
    fallback: "24h",
    description: "conversations complete by themselves this long after they start",
    parse: positiveDuration,
  }),
  setting({
    key: "purgeAfterSeconds",
    env: "PURGE_AFTER",
    flag: "--purge-after",
    fallback: "30d",
    description: "completed conversations are deleted this long after they end",
    parse: positiveDuration,
  }),
  setting({
    key: "sweepIntervalSeconds",
    env: "SWEEP_INTERVAL",
    flag: "--sweep-interval",
    fallback: "60s",
    description: "how often to write automatic completions and purge old conversations; 0 turns it off",
    parse: (value) => parseDuration(value),
  }),
  setting({
    key: "listScanRows",
    env: "LIST_SCAN_ROWS",
    flag: "--list-scan-rows",
    fallback: "10000",
    description: "most rows one list call examines; a filter no index answers ends its page early there, with a next_page_token",
    parse: (value) => atLeast(positiveInteger(value), 1000),
  }),
  setting({
    key: "bootstrapFile",
    env: "BOOTSTRAP_FILE",
    flag: "--bootstrap",
    fallback: undefined,
    description: "JSON file declaring conversation profiles, their telephony numbers and agents' fulfillments, loaded at start",
    parse: (value) => (value === "" ? undefined : value),
  }),
  setting({
    key: "databasePoolSize",
    env: "DATABASE_POOL_SIZE",
    flag: "--database-pool-size",
    fallback: "20",
    description: "connections to Postgres",
    parse: (value) => positiveInteger(value),
  }),
  setting({
    key: "shutdownGraceSeconds",
    env: "SHUTDOWN_GRACE",
    flag: "--shutdown-grace",
    fallback: "10s",
    description: "on SIGTERM/SIGINT, how long calls in flight may take to finish",
    parse: (value) => parseDuration(value),
  }),
  setting({
    key: "logLevel",
    env: "LOG_LEVEL",
    flag: "--log-level",
    fallback: "info",
    description: `one of ${LOG_LEVELS.join(", ")}`,
    parse: (value) => oneOf(value, LOG_LEVELS),
  }),
  setting({
    key: "corsOrigins",
    env: "CORS_ORIGINS",
    flag: "--cors-origins",
    fallback: "",
    description: "browser origins allowed to call (comma-separated, or *); empty allows http://localhost:* and http://127.0.0.1:*",
    parse: parseOriginPolicy,
  }),
  setting({
    key: "workers",
    env: "WORKERS",
    flag: "--workers",
    fallback: "1",
    description: "server processes sharing the port, one per CPU core is the most that helps; above 1 needs DATABASE_URL",
    parse: (value) => positiveInteger(value),
  }),
  setting({
    key: "emulatorReset",
    env: "EMULATOR_RESET",
    flag: "--emulator-reset",
    fallback: "false",
    description: "true serves DELETE /emulator/v1/projects[/{project}], which erases data (for test suites; never in production)",
    parse: parseBoolean,
  }),
  ...authSettings(),
  setting({
    key: "webhookAllowedHosts",
    env: "WEBHOOK_ALLOWED_HOSTS",
    flag: "--webhook-allowed-hosts",
    fallback: DEFAULT_WEBHOOK_HOSTS,
    description: "hosts fulfillment webhooks may reach (comma-separated: names, *.domain, IPs, loopback, none, or * for any)",
    parse: parseWebhookHostPolicy,
  }),
  setting({
    key: "eventsPublish",
    env: "EVENTS_PUBLISH",
    flag: "--events-publish",
    fallback: "true",
    description: "publish conversation events to the profiles' Pub/Sub topics; false leaves them in the outbox",
    parse: parseBoolean,
  }),
  setting({
    key: "pubsubEmulatorHost",
    env: "PUBSUB_EMULATOR_HOST",
    flag: "--pubsub-emulator-host",
    fallback: undefined,
    description: "host:port of a Pub/Sub emulator to publish to; unset means Google's Pub/Sub (Google credentials)",
    parse: (value) => (value === "" ? undefined : value),
  }),
  setting({
    key: "eventsOutboxMax",
    env: "EVENTS_OUTBOX_MAX",
    flag: "--events-outbox-max",
    fallback: "1000000",
    description: "most unpublished events kept; past it the oldest are dropped (logged and counted)",
    parse: (value) => positiveInteger(value),
  }),
  setting({
    key: "eventsMissingTopicSeconds",
    env: "EVENTS_MISSING_TOPIC_RETRY",
    flag: "--events-missing-topic-retry",
    fallback: "10m",
    description: "how long an event for a Pub/Sub topic that does not exist is retried before it is dropped",
    parse: positiveDuration,
  }),
  setting({
    key: "maxMessageBytes",
    env: "MAX_MESSAGE_BYTES",
    flag: "--max-message-bytes",
    fallback: "4194304",
    description: "largest request message on every protocol; larger ones get RESOURCE_EXHAUSTED (REST: 413) unread",
    parse: (value) => positiveInteger(value),
  }),
  setting({
    key: "maxInFlight",
    env: "MAX_IN_FLIGHT",
    flag: "--max-in-flight",
    fallback: "1000",
    description: "calls served at once per process; more are refused at once with RESOURCE_EXHAUSTED (overloaded)",
    parse: (value) => positiveInteger(value),
  }),
  setting({
    key: "maxConcurrentStreams",
    env: "MAX_CONCURRENT_STREAMS",
    flag: "--max-concurrent-streams",
    fallback: "100",
    description: "streams one HTTP/2 connection may have open at once",
    parse: (value) => positiveInteger(value),
  }),
  setting({
    key: "maxConnections",
    env: "MAX_CONNECTIONS",
    flag: "--max-connections",
    fallback: "10000",
    description: "open connections per process; more are closed as they arrive",
    parse: (value) => positiveInteger(value),
  }),
  setting({
    key: "requestTimeoutSeconds",
    env: "REQUEST_TIMEOUT",
    flag: "--request-timeout",
    fallback: "30s",
    description:
      "a connection that has not sent a whole HTTP/1.1 request, or opened an HTTP/2 stream, by then is closed; an HTTP/2 stream that has not sent its whole request by then is reset (one of a client- or bidi-streaming RPC: once quiet that long)",
    parse: positiveDuration,
  }),
  setting({
    key: "idleTimeoutSeconds",
    env: "IDLE_TIMEOUT",
    flag: "--idle-timeout",
    fallback: "5m",
    description: "HTTP/2 connections with no traffic this long are sent GOAWAY and closed once their streams end, at the latest REQUEST_TIMEOUT later",
    parse: positiveDuration,
  }),
] as const;

// Who may call (bearer tokens from a tokens file, or JWTs), and over what (TLS).
function authSettings() {
  const optionalFile = (value: string) => (value === "" ? undefined : value);
  return [
    setting({ key: "authTokensFile", env: "AUTH_TOKENS_FILE", flag: "--auth-tokens-file", fallback: undefined, description: "JSON file of bearer tokens (their sha256), projects and roles; set, every call needs a token", parse: optionalFile }),
    setting({ key: "authJwtIssuer", env: "AUTH_JWT_ISSUER", flag: "--auth-jwt-issuer", fallback: undefined, description: "accept JWT bearer tokens from this OIDC issuer (its iss); set, every call needs a token", parse: parseIssuer }),
    setting({ key: "authJwtAudience", env: "AUTH_JWT_AUDIENCE", flag: "--auth-jwt-audience", fallback: undefined, description: "the aud JWTs must carry (required with AUTH_JWT_ISSUER)", parse: optionalFile }),
    setting({ key: "authJwtJwksFile", env: "AUTH_JWT_JWKS_FILE", flag: "--auth-jwt-jwks-file", fallback: undefined, description: "JWKS file to check JWTs with; unset fetches the issuer's keys (OIDC discovery)", parse: optionalFile }),
    setting({ key: "authJwtProjectsClaim", env: "AUTH_JWT_PROJECTS_CLAIM", flag: "--auth-jwt-projects-claim", fallback: "projects", description: "JWT claim listing the projects a token may touch (\"*\" for all)", parse: nonEmpty }),
    setting({ key: "authJwtRoleClaim", env: "AUTH_JWT_ROLE_CLAIM", flag: "--auth-jwt-role-claim", fallback: "role", description: "JWT claim holding the role: reader or editor", parse: nonEmpty }),
    setting({ key: "publicMetrics", env: "PUBLIC_METRICS", flag: "--public-metrics", fallback: "false", description: "true serves /metrics without a token when auth is on", parse: parseBoolean }),
    setting({ key: "tlsCertFile", env: "TLS_CERT_FILE", flag: "--tls-cert-file", fallback: undefined, description: "PEM certificate (chain); with TLS_KEY_FILE, serves TLS with ALPN h2 and http/1.1 on the port", parse: optionalFile }),
    setting({ key: "tlsKeyFile", env: "TLS_KEY_FILE", flag: "--tls-key-file", fallback: undefined, description: "PEM private key of TLS_CERT_FILE", parse: optionalFile }),
  ];
}

// Settings that only make sense together.
function checkAuthSettings(config: Config): void {
  if (config.authJwtIssuer !== undefined && config.authJwtAudience === undefined) {
    throw new ConfigError("AUTH_JWT_AUDIENCE (--auth-jwt-audience): is required with AUTH_JWT_ISSUER");
  }
  if (config.authJwtIssuer === undefined && (config.authJwtAudience ?? config.authJwtJwksFile) !== undefined) {
    throw new ConfigError("AUTH_JWT_ISSUER (--auth-jwt-issuer): is required with AUTH_JWT_AUDIENCE or AUTH_JWT_JWKS_FILE");
  }
  if ((config.tlsCertFile === undefined) !== (config.tlsKeyFile === undefined)) {
    throw new ConfigError("TLS_CERT_FILE and TLS_KEY_FILE (--tls-cert-file, --tls-key-file): set both or neither");
  }
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Reads the configuration, or throws a ConfigError naming the setting and what is wrong with it. */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): Config {
  const flags = readFlags(argv);
  const values: Partial<Record<keyof Config, unknown>> = {};
  for (const item of SETTINGS) {
    const raw = flags.get(item.flag) ?? env[item.env] ?? item.fallback;
    if (raw === undefined) continue;
    try {
      values[item.key] = item.parse(raw);
    } catch (error) {
      throw new ConfigError(`${item.env} (${item.flag}): ${(error as Error).message}`);
    }
  }
  const config = values as unknown as Config;
  // Each worker would open the embedded database's files on its own.
  if (config.workers > 1 && config.databaseUrl === undefined) {
    throw new ConfigError("WORKERS (--workers): more than 1 worker needs a Postgres (DATABASE_URL); the embedded database serves one process");
  }
  checkAuthSettings(config);
  return config;
}

export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes("--help") || argv.includes("-h");
}

export function helpText(): string {
  // Columns as wide as their longest entry, so every description starts at one offset.
  const flagWidth = Math.max(...SETTINGS.map((item) => item.flag.length)) + " <value>".length;
  const envWidth = Math.max(...SETTINGS.map((item) => item.env.length));
  const rows = SETTINGS.map((item) => {
    // An empty default is said by the description (what "unset" means), not as "(default )".
    const fallback = item.fallback === undefined || item.fallback === "" ? "" : ` (default ${item.fallback})`;
    return `  ${`${item.flag} <value>`.padEnd(flagWidth)}  ${item.env.padEnd(envWidth)}  ${item.description}${fallback}`;
  });
  return ["Usage: npm start -- [flags]", "", "Every flag can also be set by the environment variable beside it.", "", ...rows, ""].join("\n");
}

function readFlags(argv: readonly string[]): Map<string, string> {
  const known = new Set<string>(SETTINGS.map((item) => item.flag));
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    const [flag, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    if (!known.has(flag)) throw new ConfigError(`unknown flag ${flag}; see --help`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new ConfigError(`${flag} needs a value`);
    flags.set(flag, value);
  }
  return flags;
}

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new Error(`"${value}" is not a whole number of at least 1`);
  return number;
}

function atLeast(number: number, minimum: number): number {
  if (number < minimum) throw new Error(`must be at least ${minimum} (got ${number})`);
  return number;
}

function nonEmpty(value: string): string {
  if (value.trim() === "") throw new Error("must not be empty");
  return value;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`"${value}" is not a port (0-65535)`);
  return port;
}

function parsePostgresUrl(value: string): string | undefined {
  if (value === "") return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error("is not a URL; expected postgres://user:password@host:5432/database");
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new Error(`scheme must be postgres:// or postgresql:// (got ${url.protocol}//)`);
  }
  return value;
}

function positiveDuration(value: string): number {
  const seconds = parseDuration(value);
  if (seconds <= 0) throw new Error("must be longer than zero");
  return seconds;
}

function parseOriginPolicy(value: string): OriginPolicy {
  const origins = value.split(",").map((origin) => origin.trim()).filter((origin) => origin !== "");
  if (origins.length === 0) return { kind: "loopback" };
  if (origins.includes("*")) return { kind: "any" };
  for (const origin of origins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) throw new Error(`"${origin}" is not an origin such as https://app.example.com`);
  }
  return { kind: "list", origins };
}

function parseBoolean(value: string): boolean {
  if (value === "true" || value === "1") return true;
  if (value === "false" || value === "0" || value === "") return false;
  throw new Error(`"${value}" is not true or false`);
}

function parseIssuer(value: string): string | undefined {
  if (value === "") return undefined;
  try {
    const url = new URL(value);
    if (url.protocol === "https:" || url.protocol === "http:") return value;
  } catch {
    // Falls through to the message below.
  }
  throw new Error(`"${value}" is not an https:// issuer URL`);
}

function oneOf(value: string, allowed: readonly string[]): string {
  if (!allowed.includes(value)) throw new Error(`"${value}" is not one of ${allowed.join(", ")}`);
  return value;
}
