import { canonicalCodeName } from "../domain/code-names.js";
import { create, createRegistry, toBinary, toJson, type JsonValue } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema, ResourceInfoSchema } from "../gen/google/rpc/error_details_pb.js";
import type { HttpResponse } from "../http-primitives/http-request.js";
import { requestError, withErrorInfo } from "../services/errors.js";

// Errors on the REST surface take Google's JSON shape:
// {"error":{"code":<http status>,"message":..,"status":"NOT_FOUND","details":[{"@type":..}]}}

const DETAIL_TYPES = createRegistry(BadRequestSchema, ErrorInfoSchema, ResourceInfoSchema);

// Google's mapping of canonical codes to HTTP statuses.
const HTTP_STATUS: Record<Code, number> = {
  [Code.Canceled]: 499,
  [Code.Unknown]: 500,
  [Code.InvalidArgument]: 400,
  [Code.DeadlineExceeded]: 504,
  [Code.NotFound]: 404,
  [Code.AlreadyExists]: 409,
  [Code.PermissionDenied]: 403,
  [Code.ResourceExhausted]: 429,
  [Code.FailedPrecondition]: 400,
  [Code.Aborted]: 409,
  [Code.OutOfRange]: 400,
  [Code.Unimplemented]: 501,
  [Code.Internal]: 500,
  [Code.Unavailable]: 503,
  [Code.DataLoss]: 500,
  [Code.Unauthenticated]: 401,
};

/** The canonical name of a code, as REST errors spell it: "INVALID_ARGUMENT". */
export interface RestError {
  readonly httpStatus: number;
  readonly body: JsonValue;
}

/** The REST form of an error; `httpStatus` overrides the code's usual status (405 has no code of its own). */
export function toRestError(error: ConnectError, httpStatus = HTTP_STATUS[error.code] ?? 500): RestError {
  const details: JsonValue[] = [];
  for (const detail of withErrorInfo(error).details) {
    // Details arrive either as built here (schema + value) or as bytes with a type name.
    const any =
      "desc" in detail
        ? create(AnySchema, {
            typeUrl: `type.googleapis.com/${detail.desc.typeName}`,
            value: toBinary(detail.desc, create(detail.desc, detail.value)),
          })
        : create(AnySchema, { typeUrl: `type.googleapis.com/${detail.type}`, value: detail.value });
    try {
      details.push(toJson(AnySchema, any, { registry: DETAIL_TYPES }));
    } catch {
      // A detail type we cannot render is left out rather than failing the whole error.
    }
  }
  return {
    httpStatus,
    body: { error: { code: httpStatus, message: error.rawMessage, status: canonicalCodeName(error.code), details } },
  };
}

export function restError(
  code: Code,
  message: string,
  reason: string,
  metadata: Readonly<Record<string, string>> = {},
  httpStatus?: number,
): RestError {
  return toRestError(requestError(code, message, reason, metadata), httpStatus);
}

/** Writes a REST answer (an error's REST form, or any JSON body with its status): the one way JSON leaves a route. */
export function sendRestAnswer(response: HttpResponse, { httpStatus, body }: { readonly httpStatus: number; readonly body: unknown }, headers: Readonly<Record<string, string>> = {}): void {
  response.statusCode = httpStatus;
  response.setHeader("content-type", "application/json; charset=utf-8");
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
  response.end(JSON.stringify(body));
}
