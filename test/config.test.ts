import { describe, expect, it } from "vitest";
import { ConfigError, helpText, loadConfig } from "../src/config.js";
import { parseDuration } from "../src/domain/durations.js";

describe("loadConfig", () => {
  it("has defaults that need nothing installed", () => {
    expect(loadConfig([], {})).toEqual({
      host: "127.0.0.1",
      port: 8080,
      dataDir: "./.data",
      conversationTtlSeconds: 86_400,
      purgeAfterSeconds: 2_592_000,
      sweepIntervalSeconds: 60,
      listScanRows: 10_000,
      databasePoolSize: 20,
      shutdownGraceSeconds: 10,
      logLevel: "info",
      corsOrigins: { kind: "loopback" },
      workers: 1,
      authJwtProjectsClaim: "projects",
      authJwtRoleClaim: "role",
      publicMetrics: false,
      maxMessageBytes: 4_194_304,
      maxInFlight: 1000,
      maxConcurrentStreams: 100,
      maxConnections: 10_000,
      requestTimeoutSeconds: 30,
      idleTimeoutSeconds: 300,
      emulatorReset: false,
      webhookAllowedHosts: { kind: "list", loopback: true, hosts: [], suffixes: [] },
      eventsPublish: true,
      pubsubEmulatorHost: undefined,
      eventsOutboxMax: 1_000_000,
      eventsMissingTopicSeconds: 600,
    });
  });

  it("reads WEBHOOK_ALLOWED_HOSTS as names, *.domain, IPs, loopback, none or *", () => {
    expect(loadConfig([], { WEBHOOK_ALLOWED_HOSTS: "Hooks.Example.com, *.corp.example, 10.0.0.7, [::1], loopback" }).webhookAllowedHosts).toEqual({
      kind: "list",
      loopback: true,
      hosts: ["hooks.example.com", "10.0.0.7", "[::1]"],
      suffixes: [".corp.example"],
    });
    expect(loadConfig(["--webhook-allowed-hosts", "none"], {}).webhookAllowedHosts).toEqual({ kind: "list", loopback: false, hosts: [], suffixes: [] });
    expect(loadConfig([], { WEBHOOK_ALLOWED_HOSTS: "*" }).webhookAllowedHosts).toEqual({ kind: "any" });
    for (const bad of ["https://hooks.example.com", "hooks.example.com:8443", "hooks.example.com/path", "*.[::1]", " , "]) {
      expect(() => loadConfig([], { WEBHOOK_ALLOWED_HOSTS: bad })).toThrow(/WEBHOOK_ALLOWED_HOSTS \(--webhook-allowed-hosts\): /);
    }
  });

  it("erases nothing by default: the reset endpoints only with EMULATOR_RESET=true", () => {
    expect(loadConfig([], { EMULATOR_RESET: "true" }).emulatorReset).toBe(true);
    expect(loadConfig(["--emulator-reset", "false"], { EMULATOR_RESET: "true" }).emulatorReset).toBe(false);
    expect(() => loadConfig([], { EMULATOR_RESET: "yes" })).toThrow(/EMULATOR_RESET \(--emulator-reset\): "yes" is not true or false/);
  });

  it("takes LIST_SCAN_ROWS of at least 1000, the largest page", () => {
    expect(loadConfig(["--list-scan-rows", "50000"], {}).listScanRows).toBe(50_000);
    expect(() => loadConfig([], { LIST_SCAN_ROWS: "999" })).toThrow(/LIST_SCAN_ROWS \(--list-scan-rows\): must be at least 1000/);
  });

  it("takes WORKERS above 1 only with a Postgres", () => {
    expect(loadConfig(["--workers", "2"], { DATABASE_URL: "postgres://db/x" }).workers).toBe(2);
    expect(() => loadConfig(["--workers", "2"], {})).toThrow(/WORKERS \(--workers\): more than 1 worker needs a Postgres/);
    expect(() => loadConfig([], { WORKERS: "0" })).toThrow(/WORKERS \(--workers\): "0" is not a whole number/);
  });

  it("reads CORS_ORIGINS as a list, * or the loopback default", () => {
    expect(loadConfig([], { CORS_ORIGINS: "https://a.example, http://b.example:8080" }).corsOrigins).toEqual({
      kind: "list",
      origins: ["https://a.example", "http://b.example:8080"],
    });
    expect(loadConfig(["--cors-origins", "*"], {}).corsOrigins).toEqual({ kind: "any" });
    expect(() => loadConfig([], { CORS_ORIGINS: "https://a.example/path" })).toThrow(/CORS_ORIGINS .*not an origin/);
  });

  it("reads the environment, and flags win over it", () => {
    const config = loadConfig(["--port", "9000", "--conversation-ttl=2h"], {
      PORT: "7000",
      DATABASE_URL: "postgres://u:p@db:5432/app",
      PURGE_AFTER: "7d",
    });
    expect(config.port).toBe(9000);
    expect(config.conversationTtlSeconds).toBe(7200);
    expect(config.purgeAfterSeconds).toBe(604_800);
    expect(config.databaseUrl).toBe("postgres://u:p@db:5432/app");
  });

  it.each([
    [["--port", "70000"], {}, /PORT \(--port\): "70000" is not a port/],
    [[], { PORT: "http" }, /PORT/],
    [[], { DATABASE_URL: "mysql://x" }, /DATABASE_URL .*postgres:\/\//],
    [[], { CONVERSATION_TTL: "soon" }, /CONVERSATION_TTL .*not a duration/],
    [[], { PURGE_AFTER: "0s" }, /PURGE_AFTER .*longer than zero/],
    [[], { LOG_LEVEL: "loud" }, /LOG_LEVEL/],
    [["--nope", "1"], {}, /unknown flag --nope/],
    [[], { DATABASE_POOL_SIZE: "0" }, /DATABASE_POOL_SIZE .*at least 1/],
    [["--port"], {}, /--port needs a value/],
  ])("stops on %j %j with one clear line", (argv, env, message) => {
    expect(() => loadConfig(argv, env)).toThrow(ConfigError);
    expect(() => loadConfig(argv, env)).toThrow(message);
  });

  it("never echoes a database password", () => {
    try {
      loadConfig([], { DATABASE_URL: "mysql://user:hunter2@db/x" });
    } catch (error) {
      expect((error as Error).message).not.toContain("hunter2");
      return;
    }
    throw new Error("expected a ConfigError");
  });

  it("lists every setting with its default in --help", () => {
    const help = helpText();
    for (const name of ["PORT", "HOST", "DATABASE_URL", "DATA_DIR", "CONVERSATION_TTL", "PURGE_AFTER", "LOG_LEVEL", "CORS_ORIGINS", "SWEEP_INTERVAL", "BOOTSTRAP_FILE", "DATABASE_POOL_SIZE", "SHUTDOWN_GRACE"]) {
      expect(help).toContain(name);
    }
    expect(help).toContain("(default 24h)");
  });

  it("lays --help out in columns: every environment variable and description starts at one offset, no empty default", () => {
    const rows = helpText().split("\n").filter((line) => line.startsWith("  --"));
    expect(rows.length).toBeGreaterThan(30);
    const envColumn = (row: string) => row.search(/ {2}[A-Z][A-Z0-9_]+ {2}/) + 2;
    const descriptionColumn = (row: string) => envColumn(row) + (/^[A-Z0-9_]+ +/.exec(row.slice(envColumn(row)))?.[0].length ?? 0);
    expect(new Set(rows.map(envColumn)).size).toBe(1);
    expect(new Set(rows.map(descriptionColumn)).size).toBe(1);
    expect(helpText()).not.toContain("(default )");
    expect(rows.find((row) => row.includes("CORS_ORIGINS"))).toMatch(/empty allows/);
  });
});

describe("parseDuration", () => {
  it.each([
    ["500ms", 0.5],
    ["90", 90],
    ["90s", 90],
    ["15m", 900],
    ["24h", 86_400],
    ["30d", 2_592_000],
    ["1.5h", 5400],
  ])("reads %s as %f seconds", (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(["", "h", "-1s", "1w", "1 h", "1e3s", "s1"])("refuses %j", (text) => {
    expect(() => parseDuration(text)).toThrow(/not a duration/);
  });
});
