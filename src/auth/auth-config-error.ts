/** A tokens file, JWKS file or JWT setting that cannot be used; the message is one line naming the fault. */
export class AuthConfigError extends Error {
  override name = "AuthConfigError";
}
