import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createConsoleFiles } from "./console-files.js";
import type { HttpRoute } from "../http-primitives/http-request.js";

// The web console: static files that `npm run build:console` writes to
// dist/console/ at the package root, served under /console/.

const CONTENT_TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
};

// Everything the console needs comes from this origin; it calls the service
// with fetch on the same origin and never runs inline script.
const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  // Files keep their names across builds, so browsers revalidate each time (a 304 by ETag).
  "cache-control": "no-cache",
};

const FILE_NAME = /^[a-z0-9-]+\.(html|js|css)$/;

/** dist/console/ under the nearest package.json above this file, from sources and compiled alike. */
export function findConsoleDir(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return join(dir, "dist", "console");
    if (dirname(dir) === dir) return join(from, "dist", "console");
  }
}

/** GET/HEAD /console/ and its files; /console redirects to /console/. */
export function createConsoleRoute(consoleDir: string = findConsoleDir()): HttpRoute {
  const files = createConsoleFiles(consoleDir);
  return (request, response, { path, search }) => {
    if (path !== "/console" && !path.startsWith("/console/")) return false;
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.statusCode = 405;
      response.setHeader("allow", "GET, HEAD");
      response.end();
      return true;
    }
    if (path === "/console") {
      response.statusCode = 308;
      response.setHeader("location", `/console/${search}`);
      response.end();
      return true;
    }
    const file = path === "/console/" ? "index.html" : path.slice("/console/".length);
    const extension = file.split(".").pop() ?? "";
    if (!FILE_NAME.test(file)) {
      reply(response, 404, "text/plain; charset=utf-8", "Not found\n");
      return true;
    }
    files.read(file).then(
      (found) => {
        const contentType = CONTENT_TYPES[extension] ?? "application/octet-stream";
        response.setHeader("etag", found.etag);
        const vary = response.getHeader("vary");
        response.setHeader("vary", vary === undefined ? "Accept-Encoding" : `${String(vary)}, Accept-Encoding`);
        if (request.headers["if-none-match"] === found.etag) return reply(response, 304, contentType, undefined);
        const gzipped = /\bgzip\b/.test(String(request.headers["accept-encoding"] ?? ""));
        const body = gzipped ? found.gzipped : found.body;
        if (gzipped) response.setHeader("content-encoding", "gzip");
        response.setHeader("content-length", body.length);
        reply(response, 200, contentType, request.method === "HEAD" ? undefined : body);
      },
      (error: NodeJS.ErrnoException) =>
        error.code === "ENOENT" && file === "index.html"
          ? reply(response, 404, "text/plain; charset=utf-8", `The console is not built: run npm run build:console (looked in ${consoleDir}).\n`)
          : reply(response, 404, "text/plain; charset=utf-8", "Not found\n"),
    ).catch(() => response.destroy());
    return true;
  };
}

function reply(response: Parameters<HttpRoute>[1], status: number, contentType: string, body: Buffer | string | undefined): void {
  response.statusCode = status;
  response.setHeader("content-type", contentType);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
  if (body === undefined) response.end();
  else response.end(body);
}
