import * as jose from "jose";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createJwtVerifier, JwtRejection, type JwtVerifier } from "../src/auth/jwt-verifier.js";
import { AUDIENCE, createSigner, type Signer } from "./support/jwt-signer.js";

// jose's jwtVerify, unchanged but counted: each call is one signature check.
vi.mock("jose", async (importOriginal) => {
  const actual = await importOriginal<typeof import("jose")>();
  return { ...actual, jwtVerify: vi.fn(actual.jwtVerify) };
});
const signatureChecks = vi.mocked(jose.jwtVerify);

async function rejectionOf(verifying: Promise<unknown>): Promise<string> {
  try {
    await verifying;
    return "accepted";
  } catch (error) {
    if (error instanceof JwtRejection) return error.kind;
    throw error;
  }
}

describe("JWT verifier's memory of verified tokens", () => {
  let dir: string;
  let jwksFile: string;
  let signer: Signer;
  let rotated: Signer;
  let clockOffset: number;
  let verifier: JwtVerifier;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "conversations-jwt-verifier-"));
    jwksFile = join(dir, "jwks.json");
    signer = await createSigner("https://id.example.test/");
    rotated = await createSigner(signer.issuer);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    await writeFile(jwksFile, JSON.stringify({ keys: [signer.jwk, rotated.jwk] }));
    clockOffset = 0;
    verifier = await createJwtVerifier(
      { issuer: signer.issuer, audience: AUDIENCE, jwksFile, projectsClaim: "projects", roleClaim: "role" },
      { now: () => Date.now() + clockOffset },
    );
    signatureChecks.mockClear();
  });

  it("checks a token's signature once, then answers from memory with the same principal", async () => {
    const token = await signer.sign({ projects: ["alpha"], role: "editor" });
    const first = await verifier.verify(token);
    expect(await verifier.verify(token)).toBe(first);
    expect(await verifier.verify(token)).toBe(first);
    expect(first).toMatchObject({ name: "jwt:user-42", role: "editor" });
    expect(signatureChecks).toHaveBeenCalledTimes(1);
  });

  it("checks a token again after a reload, and refuses it when the reloaded file dropped its key", async () => {
    const kept = await signer.sign({ projects: ["alpha"], role: "reader" });
    const dropped = await rotated.sign({ projects: ["alpha"], role: "reader" });
    await verifier.verify(kept);
    await verifier.verify(dropped);
    await writeFile(jwksFile, JSON.stringify({ keys: [signer.jwk] }));
    await verifier.reload();
    expect(await rejectionOf(verifier.verify(kept))).toBe("accepted");
    expect(await rejectionOf(verifier.verify(dropped))).toBe("unauthenticated");
    expect(signatureChecks).toHaveBeenCalledTimes(4);
  });

  it("does not remember a token verified with keys a reload replaced while it was checked", async () => {
    const token = await rotated.sign({ projects: ["alpha"], role: "reader" });
    let reloaded = (): void => undefined;
    const reloading = new Promise<void>((resolve) => (reloaded = resolve));
    // The check starts with the old keys and finishes after the reload.
    const { jwtVerify } = await vi.importActual<typeof import("jose")>("jose");
    signatureChecks.mockImplementationOnce(async (...args: Parameters<typeof jwtVerify>) => {
      await reloading;
      return jwtVerify(...args);
    });
    const verifying = verifier.verify(token);
    await writeFile(jwksFile, JSON.stringify({ keys: [signer.jwk] }));
    await verifier.reload();
    reloaded();
    expect(await rejectionOf(verifying)).toBe("accepted");
    expect(await rejectionOf(verifier.verify(token))).toBe("unauthenticated");
  });

  it("does not remember a token that grants nothing, nor one that is not valid", async () => {
    const grantsNothing = await signer.sign({ projects: ["alpha"] });
    const forged = await (await createSigner(signer.issuer)).sign({ projects: ["alpha"], role: "editor" });
    for (let i = 0; i < 2; i++) {
      expect(await rejectionOf(verifier.verify(grantsNothing))).toBe("no-grant");
      expect(await rejectionOf(verifier.verify(forged))).toBe("unauthenticated");
    }
    expect(signatureChecks).toHaveBeenCalledTimes(4);
  });

  it("stops answering from memory at the token's exp, and refuses it once the clock tolerance is past", async () => {
    const token = await signer.sign({ projects: ["alpha"], role: "reader" }, { expiresIn: "20s" });
    await verifier.verify(token);
    clockOffset = 19_000;
    await verifier.verify(token);
    expect(signatureChecks).toHaveBeenCalledTimes(1);
    // Past exp but within the 30 s tolerance: the verifier, not the memory, accepts it.
    clockOffset = 25_000;
    expect(await rejectionOf(verifier.verify(token))).toBe("accepted");
    expect(signatureChecks).toHaveBeenCalledTimes(2);
    clockOffset = 52_000;
    expect(await rejectionOf(verifier.verify(token))).toBe("unauthenticated");
  });
});
