import { X509Certificate } from "node:crypto";
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startService, type ServiceProcess } from "./support/service-process.js";
import { createTestCertificates, type TestCertificates } from "./support/test-certificates.js";
import { createTestDatabase, type TestDatabase } from "./support/test-database.js";

// A renewed certificate is put in place and the service told with SIGHUP, as
// certbot's deploy hook or a Kubernetes secret update would: new connections
// get the new certificate, and files that cannot be used change nothing.

describe("the TLS certificate on SIGHUP", () => {
  let first: TestCertificates;
  let renewed: TestCertificates;
  let live: { dir: string; certFile: string; keyFile: string };
  let testDatabase: TestDatabase;

  beforeAll(async () => {
    [first, renewed, testDatabase] = await Promise.all([createTestCertificates(), createTestCertificates(), createTestDatabase()]);
    const dir = await mkdtemp(join(tmpdir(), "conversations-tls-live-"));
    live = { dir, certFile: join(dir, "cert.pem"), keyFile: join(dir, "key.pem") };
  });
  afterAll(async () => {
    await Promise.all([first.dispose(), renewed.dispose(), testDatabase.dispose(), rm(live.dir, { recursive: true, force: true })]);
  });

  async function install(certificates: TestCertificates): Promise<void> {
    await copyFile(certificates.certFile, live.certFile);
    await copyFile(certificates.keyFile, live.keyFile);
  }

  function start(env: Record<string, string> = {}): ServiceProcess {
    const database: Record<string, string> = testDatabase.url === undefined ? { DATA_DIR: join(live.dir, "data") } : { DATABASE_URL: testDatabase.url };
    return startService([], { PORT: "0", SWEEP_INTERVAL: "0", ...database, TLS_CERT_FILE: live.certFile, TLS_KEY_FILE: live.keyFile, ...env });
  }

  /** The fingerprint of the certificate a new connection is shown, trusting both test CAs. */
  function presented(port: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = tlsConnect({ host: "127.0.0.1", port, servername: "localhost", ca: [first.ca, renewed.ca], ALPNProtocols: ["http/1.1"] }, () => {
        resolve(socket.getPeerCertificate().fingerprint256);
        socket.end();
      });
      socket.on("error", reject);
    });
  }

  const fingerprintOf = (certificates: TestCertificates) => new X509Certificate(certificates.cert).fingerprint256;

  it("serves new connections with the new certificate, and keeps the old one when the new files do not fit", async () => {
    await install(first);
    const service = start();
    try {
      const port = await service.serving;
      expect(await presented(port)).toBe(fingerprintOf(first));
      // A connection made before the reload keeps its certificate; only new handshakes change.
      const before = await new Promise<ReturnType<typeof tlsConnect>>((resolve, reject) => {
        const socket = tlsConnect({ host: "127.0.0.1", port, servername: "localhost", ca: first.ca, ALPNProtocols: ["http/1.1"] }, () => resolve(socket));
        socket.on("error", reject);
      });

      await install(renewed);
      service.child.kill("SIGHUP");
      await logged(service, /TLS certificate reloaded/);
      expect(await presented(port)).toBe(fingerprintOf(renewed));
      expect(before.getPeerCertificate().fingerprint256).toBe(fingerprintOf(first));
      before.end();

      // The renewed certificate with the first key: OpenSSL refuses the pair, the service keeps serving.
      await copyFile(first.keyFile, live.keyFile);
      service.child.kill("SIGHUP");
      const refused = await logged(service, /TLS reload refused/);
      expect(refused).toMatch(/keeping the previous certificate: TLS_CERT_FILE .*cert\.pem with TLS_KEY_FILE .*key\.pem: /);
      expect(await presented(port)).toBe(fingerprintOf(renewed));

      await writeFile(live.certFile, "not a certificate\n");
      service.child.kill("SIGHUP");
      await logged(service, /TLS reload refused/, 2);
      expect(await presented(port)).toBe(fingerprintOf(renewed));
    } finally {
      service.child.kill("SIGTERM");
      await service.exited;
    }
  }, 60_000);

  it.skipIf(process.env.TEST_DATABASE_URL === undefined && process.env.DATABASE_URL === undefined)(
    "passes SIGHUP from the primary to every worker when WORKERS > 1",
    async () => {
      await install(first);
      const service = start({ WORKERS: "2" });
      try {
        const port = await service.serving;
        await logged(service, /serving Dialogflow/, 2);
        await install(renewed);
        service.child.kill("SIGHUP");
        // The primary's check, then each worker's reload.
        await logged(service, /TLS certificate reloaded/, 3);
        // Each new connection goes to one worker or the other.
        const seen = new Set<string>();
        for (let i = 0; i < 8; i++) seen.add(await presented(port));
        expect([...seen]).toEqual([fingerprintOf(renewed)]);
      } finally {
        service.child.kill("SIGTERM");
        await service.exited;
      }
    },
    60_000,
  );
});

/** Waits until `count` log lines match; resolves with the last of them. */
async function logged(service: ServiceProcess, pattern: RegExp, count = 1): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const matching = service.lines.map((line) => String(line.msg)).filter((message) => pattern.test(message));
    if (matching.length >= count) return matching[count - 1] ?? "";
    if (Date.now() > deadline) throw new Error(`fewer than ${count} log lines match ${pattern}: ${JSON.stringify(service.lines)}\n${service.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
