import { createAuthorizer, type Authorizer } from "./authorizer.js";
import { createJwtVerifier, type JwtSettings } from "./jwt-verifier.js";

export interface AuthSettings {
  readonly tokensFile: string | undefined;
  /** Undefined when JWTs are not accepted. */
  readonly jwt: JwtSettings | undefined;
}

/** How the service checks callers, for the start-up log line. */
export function describeAuth(settings: AuthSettings): string {
  const modes = [settings.tokensFile === undefined ? [] : ["tokens file"], settings.jwt === undefined ? [] : [`JWTs from ${settings.jwt.issuer}`]].flat();
  return modes.length === 0 ? "open: no token is checked, anyone who reaches the port may call" : `bearer tokens required (${modes.join(", ")})`;
}

/** Builds the authorizer from the settings; throws an AuthConfigError naming the bad file. */
export async function buildAuthorizer(settings: AuthSettings): Promise<Authorizer> {
  const jwt = settings.jwt === undefined ? undefined : await createJwtVerifier(settings.jwt);
  return createAuthorizer({ tokensFile: settings.tokensFile, jwt });
}
