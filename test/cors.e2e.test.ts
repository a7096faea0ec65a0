import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isOriginAllowed } from "../src/http/cors.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

describe("isOriginAllowed", () => {
  it.each(["http://localhost:5173", "http://127.0.0.1:3000", "http://localhost", "https://localhost:8443", "http://[::1]:80"])(
    "lets the loopback default allow %s",
    (origin) => {
      expect(isOriginAllowed({ kind: "loopback" }, origin)).toBe(true);
    },
  );

  it.each(["http://localhost.evil.com", "https://example.com", "http://127.0.0.1.nip.io:80", "null"])("lets the loopback default refuse %s", (origin) => {
    expect(isOriginAllowed({ kind: "loopback" }, origin)).toBe(false);
  });

  it("allows exactly the listed origins, or any with *", () => {
    const policy = { kind: "list", origins: ["https://app.example.com"] } as const;
    expect(isOriginAllowed(policy, "https://app.example.com")).toBe(true);
    expect(isOriginAllowed(policy, "https://app.example.com:444")).toBe(false);
    expect(isOriginAllowed({ kind: "any" }, "https://anything.example")).toBe(true);
  });
});

describe("CORS on the server", () => {
  let test: TestServer;
  const path = "/google.cloud.dialogflow.v2.Conversations/GetConversation";

  beforeAll(async () => {
    test = await startTestServer({ corsOrigins: { kind: "list", origins: ["http://app.test:8000"] } });
  });
  afterAll(async () => {
    await test.stop();
  });

  const preflight = (origin: string) =>
    fetch(`${test.baseUrl}${path}`, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type,connect-protocol-version" },
    });

  it("answers a preflight from an allowed origin with the methods and headers Connect and gRPC-Web need", async () => {
    const response = await preflight("http://app.test:8000");
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("http://app.test:8000");
    expect(response.headers.get("access-control-allow-methods")).toContain("POST");
    const allowed = response.headers.get("access-control-allow-headers")?.toLowerCase() ?? "";
    for (const header of ["content-type", "connect-protocol-version", "x-grpc-web", "x-user-agent", "x-goog-request-params"]) {
      expect(allowed).toContain(header);
    }
  });

  it("refuses a preflight from another origin", async () => {
    const response = await preflight("http://evil.test");
    expect(response.status).toBe(403);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("marks responses to an allowed origin readable, exposing the gRPC-Web status headers", async () => {
    const response = await fetch(`${test.baseUrl}${path}`, {
      method: "POST",
      headers: { origin: "http://app.test:8000", "content-type": "application/json" },
      body: JSON.stringify({ name: "projects/p/conversations/abc" }),
    });
    expect(response.status).toBe(404);
    expect(response.headers.get("access-control-allow-origin")).toBe("http://app.test:8000");
    expect(response.headers.get("access-control-expose-headers")?.toLowerCase()).toContain("grpc-status");
  });
});
