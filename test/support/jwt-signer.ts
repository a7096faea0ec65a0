import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";

/** The `aud` the JWT tests' verifiers expect and their tokens carry. */
export const AUDIENCE = "conversations-test";

/** An identity provider made by a test: a key pair of its own, the public half as a JWK for a JWKS. */
export interface Signer {
  readonly issuer: string;
  readonly jwk: JWK;
  sign(claims: Record<string, unknown>, options?: { expiresIn?: string | number; audience?: string; issuer?: string }): Promise<string>;
}

export async function createSigner(issuer: string): Promise<Signer> {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(publicKey)), kid: `key-${Math.random().toString(36).slice(2)}`, alg: "ES256", use: "sig" };
  return {
    issuer,
    jwk,
    sign: (claims, options = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "ES256", kid: jwk.kid })
        .setIssuer(options.issuer ?? issuer)
        .setAudience(options.audience ?? AUDIENCE)
        .setSubject("user-42")
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? "5m")
        .sign(privateKey as CryptoKey),
  };
}
