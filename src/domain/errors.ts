// Failures the domain and the store can name without knowing about any
// transport; the services layer turns each into its gRPC status and details.

/**
 * A request field breaks a rule: INVALID_ARGUMENT with a BadRequest field
 * violation, and an ErrorInfo whose reason tells this rule from the others
 * (metadata carries the field and any dynamic parts).
 */
export class InvalidFieldError extends Error {
  constructor(
    readonly field: string,
    readonly rule: string,
    readonly reason = "INVALID_ARGUMENT",
    readonly metadata: Readonly<Record<string, string>> = {},
  ) {
    super(`${field}: ${rule}`);
    this.name = "InvalidFieldError";
  }
}

/** The named resource does not exist: NOT_FOUND with ResourceInfo. */
export class ResourceNotFoundError extends Error {
  constructor(
    readonly resourceType: string,
    readonly resourceName: string,
  ) {
    super(`${resourceType} ${resourceName} not found`);
    this.name = "ResourceNotFoundError";
  }
}

/** A resource with that name exists already: ALREADY_EXISTS with ResourceInfo. */
export class ResourceExistsError extends Error {
  constructor(
    readonly resourceType: string,
    readonly resourceName: string,
  ) {
    super(`${resourceType} ${resourceName} already exists`);
    this.name = "ResourceExistsError";
  }
}

/** The system is not in the state the call needs: FAILED_PRECONDITION. */
export class PreconditionError extends Error {
  constructor(
    readonly reason: string,
    readonly resourceName: string,
    message: string,
  ) {
    super(message);
    this.name = "PreconditionError";
  }
}

/** A finite pool ran dry, such as a profile's telephony numbers: RESOURCE_EXHAUSTED. */
export class ExhaustedError extends Error {
  constructor(
    readonly reason: string,
    message: string,
    /** The resource whose pool ran dry, when there is one. */
    readonly resourceName = "",
  ) {
    super(message);
    this.name = "ExhaustedError";
  }
}

/** The database cannot be reached: UNAVAILABLE, the caller may retry. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StoreUnavailableError";
  }
}

/** The API defines the method but this service cannot serve it: UNIMPLEMENTED, saying what is missing. */
export class UnsupportedMethodError extends Error {
  constructor(
    readonly reason: string,
    readonly method: string,
    message: string,
  ) {
    super(message);
    this.name = "UnsupportedMethodError";
  }
}
