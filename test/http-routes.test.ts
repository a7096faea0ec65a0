import { createServer, get, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chainHttpRoutes, type HttpRoute } from "../src/http/http-routes.js";

// The route chain alone, on a plain node:http server: what it answers when a
// target does not parse and when a route throws.

describe("the HTTP route chain", () => {
  const internalErrors: unknown[] = [];
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const throwing: HttpRoute = (_request, _response, target) => {
      if (target.path === "/throws") throw new Error("a bug in a route");
      return false;
    };
    const echo: HttpRoute = (_request, response, target) => {
      if (target.path !== "/echo") return false;
      response.end(JSON.stringify(target));
      return true;
    };
    const routes = chainHttpRoutes([throwing, echo], (error) => internalErrors.push(error));
    server = createServer((request, response) => routes(request, response));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it("gives each route the parsed path and query", async () => {
    expect(await (await fetch(`${base}/echo?a=%ZZ`)).json()).toEqual({ path: "/echo", search: "?a=%ZZ" });
  });

  it("answers a Host that is not host[:port] with 400 INVALID_ARGUMENT", async () => {
    // fetch sends the URL's own Host.
    const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      get(`${base}/echo`, { headers: { host: "a:99999" } }, (answer) => {
        let body = "";
        answer.on("data", (chunk: Buffer) => (body += chunk.toString()));
        answer.on("end", () => resolve({ status: answer.statusCode ?? 0, body }));
      }).on("error", reject);
    });
    expect(response.status).toBe(400);
    const { error } = JSON.parse(response.body) as { error: { status: string; message: string; details: Array<{ reason?: string }> } };
    expect(error.status).toBe("INVALID_ARGUMENT");
    expect(error.message).toBe('The request cannot be served: the authority (Host) "a:99999" is not a host and port');
    expect(error.details).toEqual([expect.objectContaining({ reason: "MALFORMED_REQUEST_TARGET" })]);
  });

  it("answers a route that throws with 500 INTERNAL, reports it, and serves the next request", async () => {
    const response = await fetch(`${base}/throws`);
    expect(response.status).toBe(500);
    expect(((await response.json()) as { error: { status: string } }).error.status).toBe("INTERNAL");
    expect(internalErrors).toEqual([new Error("a bug in a route")]);
    expect((await fetch(`${base}/echo`)).status).toBe(200);
  });

  it("answers what no route takes with 404 UNKNOWN_ROUTE", async () => {
    const response = await fetch(`${base}/nothing`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { details: Array<{ reason?: string }> } }).error.details).toEqual([
      expect.objectContaining({ reason: "UNKNOWN_ROUTE", metadata: { path: "/nothing" } }),
    ]);
  });
});
