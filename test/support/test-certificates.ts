import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A throwaway certificate authority and a server certificate it signed for localhost and 127.0.0.1, as PEM. */
export interface TestCertificates {
  readonly dir: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  dispose(): Promise<void>;
}

// Made fresh by each test run with the openssl CLI (P-256 keys, valid one day); nothing is committed.
export async function createTestCertificates(): Promise<TestCertificates> {
  const dir = await mkdtemp(join(tmpdir(), "conversations-tls-"));
  const path = (name: string) => join(dir, name);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await run("openssl", ["req", "-x509", ...ec, "-keyout", path("ca.key"), "-out", path("ca.pem"), "-days", "1", "-subj", "/CN=Conversations test CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  await run("openssl", ["req", ...ec, "-keyout", path("key.pem"), "-out", path("server.csr"), "-subj", "/CN=localhost"]);
  await writeFile(path("server.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  await run("openssl", ["x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"), "-CAcreateserial",
    "-out", path("cert.pem"), "-days", "1", "-extfile", path("server.ext")]);
  return {
    dir,
    caFile: path("ca.pem"),
    certFile: path("cert.pem"),
    keyFile: path("key.pem"),
    ca: await readFile(path("ca.pem"), "utf8"),
    cert: await readFile(path("cert.pem"), "utf8"),
    key: await readFile(path("key.pem"), "utf8"),
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
