import { Code, createClient, type Interceptor } from "@connectrpc/connect";
import * as jose from "jose";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createAuthorizer, type Authorizer } from "../src/auth/authorizer.js";
import { createJwtVerifier } from "../src/auth/jwt-verifier.js";
import { ConversationProfiles } from "../src/gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import { ErrorInfoSchema } from "../src/gen/google/rpc/error_details_pb.js";
import { failureOf } from "./support/errors.js";
import { AUDIENCE, createSigner, type Signer } from "./support/jwt-signer.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

// JWT bearer tokens signed with keys made by the test, checked against a JWKS
// file and against an issuer's published keys (OIDC discovery on a local server).

// jose's jwtVerify, unchanged but counted: each call is one signature check.
vi.mock("jose", async (importOriginal) => {
  const actual = await importOriginal<typeof import("jose")>();
  return { ...actual, jwtVerify: vi.fn(actual.jwtVerify) };
});
const signatureChecks = vi.mocked(jose.jwtVerify);

function profilesFor(baseUrl: string, token: string | undefined) {
  const withToken: Interceptor = (next) => (request) => {
    if (token !== undefined) request.header.set("authorization", `Bearer ${token}`);
    return next(request);
  };
  return createClient(ConversationProfiles, createGrpcTransport({ baseUrl, interceptors: [withToken] }));
}

async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "OK";
  } catch {
    const error = await failureOf(call);
    return `${Code[error.code]} ${error.findDetails(ErrorInfoSchema)[0]?.reason ?? ""}`.trim();
  }
}

describe("JWT bearer tokens with a JWKS file", () => {
  let test: TestServer;
  let dir: string;
  let signer: Signer;
  /** A second key in the JWKS file, which a test drops from it. */
  let rotated: Signer;
  let jwksFile: string;
  let authorizer: Authorizer;
  /** How far the verifier's clock runs ahead of the real one. */
  let clockOffset = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "conversations-jwt-"));
    signer = await createSigner("https://id.example.test/");
    rotated = await createSigner(signer.issuer);
    jwksFile = join(dir, "jwks.json");
    await writeFile(jwksFile, JSON.stringify({ keys: [signer.jwk, rotated.jwk] }));
    const jwt = await createJwtVerifier(
      { issuer: signer.issuer, audience: AUDIENCE, jwksFile, projectsClaim: "projects", roleClaim: "role" },
      { now: () => Date.now() + clockOffset },
    );
    authorizer = await createAuthorizer({ jwt });
    test = await startTestServer({ authorizer });
  });
  afterAll(async () => {
    expect(test.internalErrors).toEqual([]);
    await test.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const listIn = (token: string | undefined, project = "alpha") => profilesFor(test.baseUrl, token).listConversationProfiles({ parent: `projects/${project}` });
  const createIn = (token: string | undefined, project = "alpha") =>
    profilesFor(test.baseUrl, token).createConversationProfile({ parent: `projects/${project}`, conversationProfile: { displayName: "By JWT" } });

  it("serves a reader's reads and an editor's writes within the token's projects", async () => {
    expect(await outcome(listIn(await signer.sign({ projects: ["alpha"], role: "reader" })))).toBe("OK");
    expect(await outcome(createIn(await signer.sign({ projects: "alpha beta", role: "editor" }), "beta"))).toBe("OK");
    expect(await outcome(createIn(await signer.sign({ projects: ["*"], role: "editor" }), "zeta"))).toBe("OK");
  });

  it("answers PERMISSION_DENIED outside its projects, for a reader writing, and without role or projects claims", async () => {
    expect(await outcome(listIn(await signer.sign({ projects: ["alpha"], role: "editor" }), "beta"))).toBe("PermissionDenied PROJECT_NOT_ALLOWED");
    expect(await outcome(createIn(await signer.sign({ projects: ["alpha"], role: "reader" })))).toBe("PermissionDenied ROLE_CANNOT_WRITE");
    expect(await outcome(listIn(await signer.sign({ projects: ["alpha"] })))).toBe("PermissionDenied TOKEN_GRANTS_NOTHING");
    expect(await outcome(listIn(await signer.sign({ role: "reader" })))).toBe("PermissionDenied TOKEN_GRANTS_NOTHING");
  });

  it("answers UNAUTHENTICATED for a missing, expired, foreign or forged token", async () => {
    const claims = { projects: ["alpha"], role: "editor" };
    const stranger = await createSigner(signer.issuer);
    expect(await outcome(listIn(undefined))).toBe("Unauthenticated CREDENTIALS_MISSING");
    expect(await outcome(listIn(await signer.sign(claims, { expiresIn: Math.floor(Date.now() / 1000) - 120 })))).toBe("Unauthenticated ACCESS_TOKEN_INVALID");
    expect(await outcome(listIn(await signer.sign(claims, { audience: "someone-else" })))).toBe("Unauthenticated ACCESS_TOKEN_INVALID");
    expect(await outcome(listIn(await signer.sign(claims, { issuer: "https://evil.example.test/" })))).toBe("Unauthenticated ACCESS_TOKEN_INVALID");
    expect(await outcome(listIn(await stranger.sign(claims)))).toBe("Unauthenticated ACCESS_TOKEN_INVALID");
    // The claims of a good token under an "alg: none" header, with a made-up signature.
    const payload = (await signer.sign(claims)).split(".")[1] ?? "";
    const algNone = `${Buffer.from(JSON.stringify({ alg: "none", kid: signer.jwk.kid })).toString("base64url")}.${payload}.AAAA`;
    expect(await outcome(listIn(algNone))).toBe("Unauthenticated ACCESS_TOKEN_INVALID");
  });

  it("checks a token's signature once for both checks of a call and for the calls after it", async () => {
    const token = await signer.sign({ projects: ["alpha"], role: "editor" });
    signatureChecks.mockClear();
    expect(await outcome(listIn(token))).toBe("OK");
    expect(await outcome(createIn(token))).toBe("OK");
    expect(await outcome(listIn(token, "beta"))).toBe("PermissionDenied PROJECT_NOT_ALLOWED");
    expect(signatureChecks).toHaveBeenCalledTimes(1);
  });

  it("refuses a remembered token once it has expired", async () => {
    const token = await signer.sign({ projects: ["alpha"], role: "reader" }, { expiresIn: "20s" });
    expect(await outcome(listIn(token))).toBe("OK");
    try {
      // Past exp and the verifier's 30 s clock tolerance, within the memory's 60 s.
      clockOffset = 52_000;
      expect(await outcome(listIn(token))).toBe("Unauthenticated ACCESS_TOKEN_INVALID");
    } finally {
      clockOffset = 0;
    }
  });

  it("refuses a remembered token right after a reload (SIGHUP) drops its key from the JWKS file", async () => {
    const kept = await signer.sign({ projects: ["alpha"], role: "reader" });
    const dropped = await rotated.sign({ projects: ["alpha"], role: "reader" });
    expect(await outcome(listIn(kept))).toBe("OK");
    expect(await outcome(listIn(dropped))).toBe("OK");
    try {
      await writeFile(jwksFile, JSON.stringify({ keys: [signer.jwk] }));
      await authorizer.reload(); // what the service runs on SIGHUP
      expect(await outcome(listIn(dropped))).toBe("Unauthenticated ACCESS_TOKEN_INVALID");
      expect(await outcome(listIn(kept))).toBe("OK");
    } finally {
      await writeFile(jwksFile, JSON.stringify({ keys: [signer.jwk, rotated.jwk] }));
      await authorizer.reload();
    }
  });
});

describe("JWT bearer tokens with keys from the issuer (OIDC discovery)", () => {
  let test: TestServer;
  let issuerServer: HttpServer;
  let signer: Signer;
  let fetches = 0;

  beforeAll(async () => {
    issuerServer = createServer((request, response) => {
      fetches++;
      const base = `http://127.0.0.1:${(issuerServer.address() as AddressInfo).port}`;
      response.setHeader("content-type", "application/json");
      if (request.url === "/.well-known/openid-configuration") response.end(JSON.stringify({ issuer: base, jwks_uri: `${base}/keys` }));
      else if (request.url === "/keys") response.end(JSON.stringify({ keys: [signer.jwk] }));
      else response.writeHead(404).end("{}");
    });
    await new Promise<void>((resolve) => issuerServer.listen(0, "127.0.0.1", resolve));
    signer = await createSigner(`http://127.0.0.1:${(issuerServer.address() as AddressInfo).port}`);
    const jwt = await createJwtVerifier({ issuer: signer.issuer, audience: AUDIENCE, jwksFile: undefined, projectsClaim: "projects", roleClaim: "role" });
    test = await startTestServer({ authorizer: await createAuthorizer({ jwt }) });
  });
  afterAll(async () => {
    await test.stop();
    await new Promise((resolve) => issuerServer.close(resolve));
  });

  it("fetches the issuer's keys once and verifies tokens with them", async () => {
    const token = await signer.sign({ projects: ["alpha"], role: "reader" });
    expect(await outcome(profilesFor(test.baseUrl, token).listConversationProfiles({ parent: "projects/alpha" }))).toBe("OK");
    expect(await outcome(profilesFor(test.baseUrl, token).listConversationProfiles({ parent: "projects/alpha" }))).toBe("OK");
    expect(fetches).toBe(2);
    const forged = await (await createSigner(signer.issuer)).sign({ projects: ["alpha"], role: "reader" });
    expect(await outcome(profilesFor(test.baseUrl, forged).listConversationProfiles({ parent: "projects/alpha" }))).toBe("Unauthenticated ACCESS_TOKEN_INVALID");
  });
});
