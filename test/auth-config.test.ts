import { describe, expect, it } from "vitest";
import { helpText, loadConfig } from "../src/config.js";

describe("auth settings", () => {
  it("reads the tokens file, and JWT settings from the environment and flags", () => {
    const config = loadConfig(["--auth-jwt-role-claim", "https://example.com/role", "--public-metrics", "true"], {
      AUTH_TOKENS_FILE: "/etc/conversations/tokens.json",
      AUTH_JWT_ISSUER: "https://id.example.com/",
      AUTH_JWT_AUDIENCE: "conversations",
      AUTH_JWT_JWKS_FILE: "/etc/conversations/jwks.json",
    });
    expect(config).toMatchObject({
      authTokensFile: "/etc/conversations/tokens.json",
      authJwtIssuer: "https://id.example.com/",
      authJwtAudience: "conversations",
      authJwtJwksFile: "/etc/conversations/jwks.json",
      authJwtProjectsClaim: "projects",
      authJwtRoleClaim: "https://example.com/role",
      publicMetrics: true,
    });
  });

  it.each([
    [{ AUTH_JWT_ISSUER: "https://id.example.com" }, /^AUTH_JWT_AUDIENCE \(--auth-jwt-audience\): is required with AUTH_JWT_ISSUER/],
    [{ AUTH_JWT_AUDIENCE: "x" }, /^AUTH_JWT_ISSUER \(--auth-jwt-issuer\): is required/],
    [{ AUTH_JWT_ISSUER: "id.example.com", AUTH_JWT_AUDIENCE: "x" }, /^AUTH_JWT_ISSUER \(--auth-jwt-issuer\): "id.example.com" is not an https:\/\/ issuer URL/],
    [{ PUBLIC_METRICS: "maybe" }, /^PUBLIC_METRICS \(--public-metrics\): "maybe" is not true or false/],
  ])("refuses %j with one line naming the setting", (env, message) => {
    expect(() => loadConfig([], env)).toThrow(message);
  });

  it("lists every auth setting in --help", () => {
    for (const name of ["AUTH_TOKENS_FILE", "AUTH_JWT_ISSUER", "AUTH_JWT_AUDIENCE", "AUTH_JWT_JWKS_FILE", "AUTH_JWT_PROJECTS_CLAIM", "AUTH_JWT_ROLE_CLAIM", "PUBLIC_METRICS"]) {
      expect(helpText()).toContain(name);
    }
  });
});
