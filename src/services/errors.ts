import { canonicalCodeName } from "../domain/code-names.js";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import {
  BadRequestSchema,
  ErrorInfoSchema,
  ResourceInfoSchema,
} from "../gen/google/rpc/error_details_pb.js";
import {
  ExhaustedError,
  InvalidFieldError,
  PreconditionError,
  ResourceExistsError,
  ResourceNotFoundError,
  StoreUnavailableError,
  UnsupportedMethodError,
} from "../domain/errors.js";
import { withCallSignal } from "../store/call-signal.js";

// The one place failures become gRPC statuses (AIP-193): the code, a message
// naming the field and the rule, and google.rpc details a client can read.

const DOMAIN = "dialogflow.googleapis.com";

function errorInfo(reason: string, metadata: Readonly<Record<string, string>> = {}) {
  return { desc: ErrorInfoSchema, value: { reason, domain: DOMAIN, metadata: { ...metadata } } };
}

/** A failure outside the domain (transport, request decoding) with its ErrorInfo reason. */
export function requestError(code: Code, message: string, reason: string, metadata: Readonly<Record<string, string>> = {}): ConnectError {
  return new ConnectError(message, code, undefined, [errorInfo(reason, metadata)]);
}

/** A request body that is not an encoding of the method's request message, in any protocol. */
export function undecodableRequest(typeName: string, encoding: "binary" | "json", cause: string): ConnectError {
  return requestError(Code.InvalidArgument, `The request is not a valid ${typeName}: ${cause}`, "REQUEST_NOT_DECODABLE", {
    message: typeName,
    encoding,
  });
}

// Reasons for statuses raised by the RPC libraries themselves (no route,
// undecodable message, deadline, cancellation), which carry no ErrorInfo.
const GENERIC_REASONS: Partial<Record<Code, string>> = {
  [Code.InvalidArgument]: "INVALID_REQUEST",
  [Code.Unimplemented]: "METHOD_NOT_IMPLEMENTED",
  [Code.DeadlineExceeded]: "DEADLINE_EXCEEDED",
  [Code.Canceled]: "CANCELLED",
  [Code.Internal]: "INTERNAL_ERROR",
  [Code.NotFound]: "NOT_FOUND",
  [Code.ResourceExhausted]: "RESOURCE_EXHAUSTED",
  [Code.Unavailable]: "UNAVAILABLE",
};

/** The error, given an ErrorInfo (AIP-193) when it has none. */
export function withErrorInfo(error: ConnectError): ConnectError {
  if (error.findDetails(ErrorInfoSchema).length > 0) return error;
  const reason = GENERIC_REASONS[error.code] ?? canonicalCodeName(error.code);
  error.details.push(errorInfo(reason));
  return error;
}

/** ErrorInfo reasons name the kind of resource: "dialogflow.googleapis.com/ConversationProfile" -> "CONVERSATION_PROFILE". */
function resourceKind(resourceType: string): string {
  const kind = resourceType.slice(resourceType.lastIndexOf("/") + 1);
  return kind.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

function resourceInfo(resourceType: string, resourceName: string, description: string) {
  return { desc: ResourceInfoSchema, value: { resourceType, resourceName, description } };
}

export function invalidArgument(
  field: string,
  rule: string,
  reason = "INVALID_ARGUMENT",
  metadata: Readonly<Record<string, string>> = {},
): ConnectError {
  return new ConnectError(`Invalid ${field}: ${rule}`, Code.InvalidArgument, undefined, [
    { desc: BadRequestSchema, value: { fieldViolations: [{ field, description: rule, reason }] } },
    errorInfo(reason, { ...metadata, field }),
  ]);
}

export function notFound(resourceType: string, resourceName: string): ConnectError {
  const message = `${resourceName} was not found`;
  return new ConnectError(message, Code.NotFound, undefined, [
    resourceInfo(resourceType, resourceName, message),
    errorInfo(`${resourceKind(resourceType)}_NOT_FOUND`, { resource: resourceName, resourceType }),
  ]);
}

export function alreadyExists(resourceType: string, resourceName: string): ConnectError {
  const message = `${resourceName} already exists`;
  return new ConnectError(message, Code.AlreadyExists, undefined, [
    resourceInfo(resourceType, resourceName, message),
    errorInfo(`${resourceKind(resourceType)}_ALREADY_EXISTS`, { resource: resourceName, resourceType }),
  ]);
}

/** UNAVAILABLE, saying why the database is away: what Postgres or the socket said, and its SQLSTATE or errno in metadata. */
function databaseUnavailable(error: StoreUnavailableError): ConnectError {
  const { cause } = error;
  const metadata: Record<string, string> = {};
  if (cause instanceof Error) {
    metadata.cause = cause.message;
    const code = (cause as { code?: unknown }).code;
    if (typeof code === "string") metadata.code = code;
  }
  const message = `${error.message.charAt(0).toUpperCase()}${error.message.slice(1)}; retry later`;
  return new ConnectError(message, Code.Unavailable, undefined, [errorInfo("DATABASE_UNAVAILABLE", metadata)]);
}

/** Maps anything a handler throws to the status a client should see. */
export function toConnectError(error: unknown, onInternal: (error: unknown) => void): ConnectError {
  if (error instanceof ConnectError) return withErrorInfo(error);
  if (error instanceof InvalidFieldError) return invalidArgument(error.field, error.rule, error.reason, error.metadata);
  if (error instanceof ResourceNotFoundError) return notFound(error.resourceType, error.resourceName);
  if (error instanceof ResourceExistsError) return alreadyExists(error.resourceType, error.resourceName);
  if (error instanceof PreconditionError) {
    return new ConnectError(error.message, Code.FailedPrecondition, undefined, [
      errorInfo(error.reason, { resource: error.resourceName }),
    ]);
  }
  if (error instanceof ExhaustedError) {
    return new ConnectError(error.message, Code.ResourceExhausted, undefined, [
      errorInfo(error.reason, error.resourceName === "" ? {} : { resource: error.resourceName }),
    ]);
  }
  if (error instanceof UnsupportedMethodError) {
    return new ConnectError(error.message, Code.Unimplemented, undefined, [errorInfo(error.reason, { method: error.method })]);
  }
  if (error instanceof StoreUnavailableError) return databaseUnavailable(error);
  onInternal(error);
  return new ConnectError("Internal error", Code.Internal, undefined, [errorInfo("INTERNAL_ERROR")]);
}

/**
 * Converts domain and store failures into statuses for every RPC, and hands
 * the call's signal to the store so statements die with their call.
 */
export function errorInterceptor(onInternal: (error: unknown) => void): Interceptor {
  return (next) => async (request) => {
    try {
      return await withCallSignal(request.signal, () => next(request));
    } catch (error) {
      // A statement cancelled because the deadline passed is the deadline's failure, not ours.
      if (request.signal.aborted) throw withErrorInfo(ConnectError.from(request.signal.reason ?? error, Code.DeadlineExceeded));
      throw toConnectError(error, onInternal);
    }
  };
}
