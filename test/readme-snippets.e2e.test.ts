import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./support/test-server.js";

// Every README shell block marked `<!-- runnable -->` runs here, in order, as written, against a
// real service (reset endpoints on), so a snippet that stops working fails the suite. The only
// change: the README's address 127.0.0.1:8080 becomes the test server's. `curl` fails on an HTTP
// error (the README's `curl -s` would print the error and exit 0), and every command must succeed.

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const MARKED = /<!-- runnable -->\n```sh\n([\s\S]*?)```/g;
const README_ADDRESS = /127\.0\.0\.1:8080/g;
const CURL_FAILS_ON_HTTP_ERRORS = 'curl() { command curl --fail-with-body "$@"; }\n';

interface Snippet {
  readonly line: number;
  readonly script: string;
}

async function readRunnableSnippets(): Promise<Snippet[]> {
  const readme = await readFile(join(ROOT, "README.md"), "utf8");
  return [...readme.matchAll(MARKED)].map((match) => ({
    line: readme.slice(0, match.index).split("\n").length + 2,
    script: match[1] ?? "",
  }));
}

function runBash(script: string, cwd: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn("bash", ["-euo", "pipefail", "-c", script], { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const snippets = await readRunnableSnippets();

describe("the README's runnable shell snippets", () => {
  let test: TestServer;
  let workDir: string;

  beforeAll(async () => {
    test = await startTestServer({ emulatorReset: true });
    // Files the snippets write (fixture.json) land in a directory of their own; the project's
    // compiled service and tools are reachable from it as from the repository.
    workDir = await mkdtemp(join(tmpdir(), "readme-snippets-"));
    for (const entry of ["dist", "node_modules", "package.json"]) await symlink(join(ROOT, entry), join(workDir, entry));
  });
  afterAll(async () => {
    await test?.stop();
    if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
  });

  it("finds the marked snippets", () => {
    expect(snippets.length).toBeGreaterThanOrEqual(6);
  });

  for (const snippet of snippets) {
    it(`runs the snippet at README.md:${snippet.line}`, { timeout: 30_000 }, async () => {
      const address = `127.0.0.1:${test.server.port}`;
      const script = CURL_FAILS_ON_HTTP_ERRORS + snippet.script.replace(README_ADDRESS, address);
      const { code, output } = await runBash(script, workDir, { DATABASE_URL: test.testDatabase.url ?? "" });
      expect(code, output).toBe(0);
    });
  }
});
