import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, get, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConsoleRoute, findConsoleDir } from "../src/http/console-route.js";
import { chainHttpRoutes } from "../src/http/http-routes.js";

// The static route alone, over a directory of files standing in for a build.

describe("the console route", () => {
  let dir: string;
  let server: Server;
  let base: string;
  const internalErrors: unknown[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "console-"));
    await writeFile(join(dir, "index.html"), "<!doctype html><title>console</title>");
    await writeFile(join(dir, "console.js"), "export {};");
    await writeFile(join(dir, "console.css"), "body{}");
    await writeFile(join(dir, "secret.txt"), "no");
    const routes = chainHttpRoutes([createConsoleRoute(dir)], (error) => internalErrors.push(error));
    server = createServer((request, response) => routes(request, response));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    expect(internalErrors).toEqual([]);
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true });
  });

  it("serves index.html at /console/ with a CSP that allows only this origin and no inline script", async () => {
    const response = await fetch(`${base}/console/?parent=projects/p`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await response.text()).toContain("<title>console</title>");
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("serves the script and the style sheet with their types", async () => {
    const script = await fetch(`${base}/console/console.js`);
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await script.text()).toBe("export {};");
    expect((await fetch(`${base}/console/console.css`)).headers.get("content-type")).toBe("text/css; charset=utf-8");
  });

  /** A raw GET, so the encoding on the wire can be seen (fetch decodes it). */
  function rawGet(path: string, headers: Record<string, string>): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
    return new Promise((resolve, reject) => {
      get(`${base}${path}`, { headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      }).on("error", reject);
    });
  }

  it("sends gzip to clients that accept it, plain bytes to others", async () => {
    const zipped = await rawGet("/console/console.js", { "accept-encoding": "gzip, deflate, br" });
    expect(zipped.headers["content-encoding"]).toBe("gzip");
    expect(zipped.headers.vary).toContain("Accept-Encoding");
    expect(gunzipSync(zipped.body).toString()).toBe("export {};");
    const plain = await rawGet("/console/console.js", {});
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(plain.body.toString()).toBe("export {};");
  });

  it("answers a revalidation with 304 until the file is rebuilt", async () => {
    const first = await rawGet("/console/console.css", {});
    const etag = String(first.headers.etag);
    expect(first.headers["cache-control"]).toBe("no-cache");
    const again = await rawGet("/console/console.css", { "if-none-match": etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    await writeFile(join(dir, "console.css"), "body{color:red}");
    const rebuilt = await rawGet("/console/console.css", { "if-none-match": etag });
    expect(rebuilt.status).toBe(200);
    expect(rebuilt.body.toString()).toBe("body{color:red}");
    expect(rebuilt.headers.etag).not.toBe(etag);
  });

  it("redirects /console to /console/, keeping the query", async () => {
    const response = await fetch(`${base}/console?parent=projects/p`, { redirect: "manual" });
    expect(response.status).toBe(308);
    expect(response.headers.get("location")).toBe("/console/?parent=projects/p");
  });

  it("serves nothing outside the build's html, js and css", async () => {
    for (const path of ["/console/secret.txt", "/console/missing.js", "/console/..%2Fpackage.json", "/console/a/b.js"]) {
      expect((await fetch(`${base}${path}`)).status, path).toBe(404);
    }
    expect((await fetch(`${base}/consoles`)).status).toBe(404);
    expect((await fetch(`${base}/console/`, { method: "POST" })).status).toBe(405);
  });

  it("says how to build the console when it is not built", async () => {
    const routes = chainHttpRoutes([createConsoleRoute(join(dir, "absent"))], (error) => internalErrors.push(error));
    const bare = createServer((request, response) => routes(request, response));
    await new Promise<void>((resolve) => bare.listen(0, "127.0.0.1", resolve));
    const response = await fetch(`http://127.0.0.1:${(bare.address() as AddressInfo).port}/console/`);
    await new Promise((resolve) => bare.close(resolve));
    expect(response.status).toBe(404);
    expect(await response.text()).toContain("npm run build:console");
  });

  it("finds dist/console beside the package.json above the code, from sources or compiled output", () => {
    const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
    expect(findConsoleDir(join(root, "src", "http"))).toBe(join(root, "dist", "console"));
    expect(findConsoleDir(join(root, "dist", "src", "http"))).toBe(join(root, "dist", "console"));
  });
});
