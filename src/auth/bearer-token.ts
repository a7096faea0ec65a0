// `authorization: Bearer <token>`, as Google's clients send credentials, in
// gRPC metadata and HTTP headers alike (RFC 6750 §2.1; the scheme is case-insensitive).

const BEARER = /^bearer[ \t]+(\S+)[ \t]*$/i;

/** The token in an authorization header value, or undefined when there is none in bearer form. */
export function readBearerToken(authorization: string | null | undefined): string | undefined {
  if (authorization === null || authorization === undefined) return undefined;
  return BEARER.exec(authorization)?.[1];
}
