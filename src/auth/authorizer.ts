import type { DescMethod, Message } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { readBearerToken } from "./bearer-token.js";
import { JwtRejection, looksLikeJwt, type JwtVerifier } from "./jwt-verifier.js";
import { accessOf } from "./method-access.js";
import { coversProject, type Principal } from "./principal.js";
import { readResourceProjects } from "./resource-projects.js";
import { readTokenFile, sha256Hex, type TokenTable } from "./token-file.js";

// The one decision on who may make a call, the same for every protocol: it
// takes the method, the request message and the authorization header, and
// needs nothing else, so every transport asks it before a handler runs.

export type Decision =
  | { readonly allowed: true; readonly principal: Principal | undefined }
  | Denial;

export interface Denial {
  readonly allowed: false;
  /** Unauthenticated (no valid token), PermissionDenied (valid, not allowed) or Unavailable (keys cannot be fetched). */
  readonly code: Code;
  /** For google.rpc.ErrorInfo. */
  readonly reason: string;
  readonly message: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** The principal's name when the token was valid; never the token. */
  readonly principalName: string | undefined;
}

export interface Authorizer {
  /** False when no tokens file and no JWT issuer are configured: every call is allowed. */
  readonly enabled: boolean;
  decide(method: DescMethod, message: Message, authorization: string | null | undefined): Promise<Decision>;
  /**
   * The first half of decide, which needs no request: whether the caller holds
   * valid credentials at all. Asked before a request is read, so a caller
   * without them learns nothing about its request, not even that it is malformed.
   */
  admit(authorization: string | null | undefined): Promise<Decision>;
  /** Who the token stands for, for endpoints outside the RPC surface (/metrics); undefined when it is not valid. */
  authenticate(authorization: string | null | undefined): Promise<Principal | undefined>;
  /** Re-reads the tokens file (and JWKS file); keeps the old ones and throws an AuthConfigError when a file is bad. */
  reload(): Promise<void>;
}

export interface AuthorizerOptions {
  readonly tokensFile?: string | undefined;
  readonly jwt?: JwtVerifier | undefined;
}

const ALLOW_ANONYMOUS: Decision = { allowed: true, principal: undefined };

/** Reads the tokens file (throwing an AuthConfigError when it is bad) and returns the decision function. */
export async function createAuthorizer(options: AuthorizerOptions): Promise<Authorizer> {
  const { tokensFile, jwt } = options;
  let tokens: TokenTable = tokensFile === undefined ? new Map() : await readTokenFile(tokensFile);
  const enabled = tokensFile !== undefined || jwt !== undefined;

  const identify = async (authorization: string | null | undefined): Promise<Principal | Denial> => {
    const token = readBearerToken(authorization);
    if (token === undefined) {
      return deny(Code.Unauthenticated, "CREDENTIALS_MISSING", "The call needs an authorization: Bearer <token> header");
    }
    const known = tokens.get(sha256Hex(token));
    if (known !== undefined) return known;
    if (jwt !== undefined && looksLikeJwt(token)) {
      try {
        return await jwt.verify(token);
      } catch (error) {
        if (!(error instanceof JwtRejection)) throw error;
        if (error.kind === "keys-unavailable") return deny(Code.Unavailable, "TOKEN_KEYS_UNAVAILABLE", error.message);
        if (error.kind === "no-grant") return deny(Code.PermissionDenied, "TOKEN_GRANTS_NOTHING", error.message, {}, error.principalName);
        return deny(Code.Unauthenticated, "ACCESS_TOKEN_INVALID", error.message);
      }
    }
    return deny(Code.Unauthenticated, "ACCESS_TOKEN_INVALID", "The bearer token is not one this service accepts");
  };

  const admit = async (authorization: string | null | undefined): Promise<Decision> => {
    if (!enabled) return ALLOW_ANONYMOUS;
    const principal = await identify(authorization);
    return "allowed" in principal ? principal : { allowed: true, principal };
  };

  return {
    enabled,
    async decide(method, message, authorization) {
      const access = accessOf(method);
      if (!enabled || access === "open") return ALLOW_ANONYMOUS;
      const admitted = await admit(authorization);
      if (!admitted.allowed || admitted.principal === undefined) return admitted;
      const { principal } = admitted;
      const call = `${method.parent.typeName}/${method.name}`;
      if (access === "write" && principal.role !== "editor") {
        return deny(Code.PermissionDenied, "ROLE_CANNOT_WRITE", `The token "${principal.name}" may only read; ${method.name} needs an editor token`, { method: call }, principal.name);
      }
      const { projects, hasResourceFields } = readResourceProjects(method, message);
      if (!hasResourceFields && principal.projects !== "*") {
        return deny(Code.PermissionDenied, "PROJECT_NOT_ALLOWED", `${method.name} is not scoped to a project; it needs a token for every project`, { method: call }, principal.name);
      }
      const outside = projects.find((project) => !coversProject(principal.projects, project));
      if (outside !== undefined) {
        return deny(Code.PermissionDenied, "PROJECT_NOT_ALLOWED", `The token "${principal.name}" does not grant access to project ${outside}`, { method: call, project: outside }, principal.name);
      }
      return { allowed: true, principal };
    },
    admit,
    async authenticate(authorization) {
      if (!enabled) return undefined;
      const principal = await identify(authorization);
      return "allowed" in principal ? undefined : principal;
    },
    async reload() {
      // Both files are read before either is used, so a bad one changes nothing.
      const next = tokensFile === undefined ? tokens : await readTokenFile(tokensFile);
      await jwt?.reload();
      tokens = next;
    },
  };
}

function deny(code: Code, reason: string, message: string, metadata: Record<string, string> = {}, principalName?: string): Denial {
  return { allowed: false, code, reason, message, metadata, principalName };
}
