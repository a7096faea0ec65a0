import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { build } from "esbuild";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { launchChromium } from "./chromium.js";

// A page on one origin calls the service on another with Connect-Web, in a
// real headless Chromium: CORS, both browser protocols and the JSON/binary
// codecs are exercised exactly as a web app would.

describe("a browser page using Connect-Web", () => {
  let test: TestServer;
  let pageServer: Server;
  let pageOrigin: string;
  let browser: Browser;

  beforeAll(async () => {
    test = await startTestServer();
    const bundle = await build({
      entryPoints: [new URL("./page.ts", import.meta.url).pathname],
      bundle: true,
      write: false,
      format: "esm",
      platform: "browser",
      target: "es2022",
    });
    const script = bundle.outputFiles[0]?.text ?? "";
    pageServer = createServer((request, response) => {
      if (request.url === "/page.js") {
        response.writeHead(200, { "content-type": "text/javascript" }).end(script);
      } else {
        response.writeHead(200, { "content-type": "text/html" }).end('<!doctype html><script type="module" src="/page.js"></script>');
      }
    });
    await new Promise<void>((resolve) => pageServer.listen(0, "127.0.0.1", resolve));
    pageOrigin = `http://localhost:${(pageServer.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => pageServer?.close(resolve));
    await test?.stop();
  });

  it.each(["connect", "grpc-web"] as const)("creates, lists and completes conversations over %s from another origin", async (protocol) => {
    const page = await browser.newPage();
    await page.goto(pageOrigin);
    await page.waitForFunction(() => typeof window.runScenario === "function");
    const parent = `projects/browser-${protocol}/locations/global`;
    const result = await page.evaluate(
      ([which, baseUrl, inParent]) => window.runScenario(which, baseUrl, inParent),
      [protocol, test.baseUrl, parent] as const,
    );
    expect(new URL(pageOrigin).port).not.toBe(String(test.server.port));
    expect(result.created).toHaveLength(3);
    expect(result.listed).toEqual([...result.created].reverse());
    expect(result.completedState).toBe("COMPLETED");
    expect(result.notFoundCode).toBe(5);
    await page.close();
  });
});
