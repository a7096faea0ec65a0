import { readFile } from "node:fs/promises";
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from "jose";
import { AuthConfigError } from "./auth-config-error.js";
import { checkProject } from "./token-file.js";
import { ROLES, toProjectScope, type Principal, type Role } from "./principal.js";
import { createVerifiedTokens } from "./verified-tokens.js";

// Issuer and service clocks drift apart: exp and nbf hold this many seconds either way (README, Securing it).
const CLOCK_TOLERANCE_SECONDS = 30;

// OIDC / JWT bearer tokens from a deployment's identity provider, verified
// with jose: signature against the issuer's keys, iss, aud, exp and nbf. Two
// claims grant access: one listing projects, one naming the role. A token that
// verified is remembered for a while (verified-tokens.ts), so its signature is
// not checked again on every call.

export interface JwtSettings {
  /** Expected `iss`; also where the keys come from (OIDC discovery) when no JWKS file is given. */
  readonly issuer: string;
  /** Expected `aud`. */
  readonly audience: string;
  /** A JWKS file to use instead of the issuer's published keys (offline or pinned deployments). */
  readonly jwksFile: string | undefined;
  /** The claim listing projects: an array, or a space-separated string; "*" means every project. */
  readonly projectsClaim: string;
  /** The claim holding the role: "reader" or "editor". */
  readonly roleClaim: string;
}

/** Why a JWT grants nothing. `unauthenticated`: it is not a valid token; `no-grant`: valid, but its claims grant no access. */
export class JwtRejection extends Error {
  constructor(
    readonly kind: "unauthenticated" | "no-grant" | "keys-unavailable",
    message: string,
    /** Set when the token is valid: who it is, for the logs. */
    readonly principalName?: string,
  ) {
    super(message);
    this.name = "JwtRejection";
  }
}

export interface JwtVerifierOptions {
  /** The clock, in milliseconds since the epoch, for exp, nbf and how long a token is remembered; tests move it. */
  readonly now?: () => number;
}

export interface JwtVerifier {
  /** The principal the token stands for, or a JwtRejection. */
  verify(token: string): Promise<Principal>;
  /**
   * Re-reads the JWKS file, if one is used, and forgets the tokens verified so far;
   * keeps the old keys (and tokens) and throws an AuthConfigError when the file is bad.
   */
  reload(): Promise<void>;
}

// Asymmetric algorithms only: a shared-secret (HS*) key in a JWKS would let anyone holding it mint tokens.
const ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"];

/** A JWT looks like three base64url parts joined by dots. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}

export async function createJwtVerifier(settings: JwtSettings, options: JwtVerifierOptions = {}): Promise<JwtVerifier> {
  const { now = Date.now } = options;
  let keys: JWTVerifyGetKey = settings.jwksFile === undefined ? discoveredKeys(settings.issuer) : await readJwksFile(settings.jwksFile);
  // Only tokens that verified and grant something: a rejection is never remembered.
  const verified = createVerifiedTokens({ now });
  return {
    async verify(token) {
      const remembered = verified.recall(token);
      if (remembered !== undefined) return remembered;
      const checkedWith = keys;
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, checkedWith, {
          issuer: settings.issuer,
          audience: settings.audience,
          algorithms: ALGORITHMS,
          requiredClaims: ["exp"],
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          currentDate: new Date(now()),
        }));
      } catch (error) {
        throw toRejection(error);
      }
      const principal = principalOf(payload, settings);
      // Keys reloaded while it was checked: its key may be one just withdrawn, so it is not remembered.
      if (keys === checkedWith) verified.remember(token, principal, payload);
      return principal;
    },
    async reload() {
      if (settings.jwksFile !== undefined) keys = await readJwksFile(settings.jwksFile);
      verified.clear();
    },
  };
}

function principalOf(payload: JWTPayload, settings: JwtSettings): Principal {
  const name = `jwt:${payload.sub ?? "(no subject)"}`;
  const role = payload[settings.roleClaim];
  if (typeof role !== "string" || !(ROLES as readonly string[]).includes(role)) {
    throw new JwtRejection("no-grant", `The token's "${settings.roleClaim}" claim must be one of ${ROLES.join(", ")}`, name);
  }
  const claimed = payload[settings.projectsClaim];
  const projects = typeof claimed === "string" ? claimed.split(/[\s,]+/).filter((each) => each !== "") : claimed;
  if (!Array.isArray(projects) || projects.length === 0) {
    throw new JwtRejection("no-grant", `The token's "${settings.projectsClaim}" claim lists no projects`, name);
  }
  try {
    projects.forEach((project: unknown, index) => checkProject(project, `${settings.projectsClaim}[${index}]`));
  } catch (error) {
    throw new JwtRejection("no-grant", `The token's claim ${(error as Error).message}`, name);
  }
  return { name, projects: toProjectScope(projects as string[]), role: role as Role };
}

function toRejection(error: unknown): JwtRejection {
  if (error instanceof errors.JWTExpired) return new JwtRejection("unauthenticated", "The token has expired");
  if (error instanceof errors.JWKSTimeout || error instanceof KeysUnavailableError) {
    return new JwtRejection("keys-unavailable", "The token issuer's keys cannot be fetched; retry later");
  }
  if (error instanceof errors.JOSEError) return new JwtRejection("unauthenticated", `The token is not valid: ${error.code}`);
  return new JwtRejection("keys-unavailable", "The token issuer's keys cannot be fetched; retry later");
}

class KeysUnavailableError extends Error {}

async function readJwksFile(path: string): Promise<JWTVerifyGetKey> {
  let jwks: unknown;
  try {
    jwks = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new AuthConfigError(`JWKS file ${path}: ${(error as Error).message}`);
  }
  try {
    return createLocalJWKSet(jwks as JSONWebKeySet);
  } catch (error) {
    throw new AuthConfigError(`JWKS file ${path}: ${(error as Error).message}`);
  }
}

// OIDC discovery: the issuer's /.well-known/openid-configuration names its jwks_uri.
// Fetched on first use (start-up does not wait on the identity provider) and retried after a failure.
function discoveredKeys(issuer: string): JWTVerifyGetKey {
  let remote: Promise<JWTVerifyGetKey> | undefined;
  const discover = async (): Promise<JWTVerifyGetKey> => {
    const url = `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
    const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new KeysUnavailableError(`${url} answered ${response.status}`);
    const document = (await response.json()) as { jwks_uri?: unknown };
    if (typeof document.jwks_uri !== "string") throw new KeysUnavailableError(`${url} names no jwks_uri`);
    return createRemoteJWKSet(new URL(document.jwks_uri));
  };
  return async (header, token) => {
    remote ??= discover().catch((error: unknown) => {
      remote = undefined;
      throw error instanceof KeysUnavailableError ? error : new KeysUnavailableError((error as Error).message);
    });
    return (await remote)(header, token);
  };
}
