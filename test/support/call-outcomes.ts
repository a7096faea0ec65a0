import { fromBinary, getOption, toBinary, type DescMethodUnary, type JsonObject, type JsonValue, type Message } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Transport } from "@connectrpc/connect";
import { errorFromJsonBytes } from "@connectrpc/connect/protocol-connect";
import * as grpc from "@grpc/grpc-js";
import { http } from "../../src/gen/google/api/annotations_pb.js";
import type { HttpRule } from "../../src/gen/google/api/http_pb.js";
import { BadRequestSchema, ErrorInfoSchema } from "../../src/gen/google/rpc/error_details_pb.js";
import { StatusSchema } from "../../src/gen/google/rpc/status_pb.js";

// One unary call through one protocol, reduced to what a refusal says: its
// status (as REST spells it), the fields its BadRequest names, its ErrorInfo
// reason and its message. Each caller is a real client of that protocol.

export interface CallOutcome {
  /** "OK" or the status name, e.g. "INVALID_ARGUMENT". */
  readonly status: string;
  readonly fields: readonly string[];
  readonly reason: string | undefined;
  readonly message: string;
  /** Over REST: the HTTP status. */
  readonly httpStatus?: number;
}

const OK: CallOutcome = { status: "OK", fields: [], reason: undefined, message: "" };

const statusName = (code: Code): string => Code[code].replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();

function fromConnectError(error: ConnectError): CallOutcome {
  return {
    status: statusName(error.code),
    fields: error.findDetails(BadRequestSchema).flatMap((badRequest) => badRequest.fieldViolations.map((violation) => violation.field)),
    reason: error.findDetails(ErrorInfoSchema)[0]?.reason,
    message: error.rawMessage,
  };
}

/** Through a connect-es transport (Connect binary or JSON, gRPC-Web). */
export async function callOverTransport(transport: Transport, method: DescMethodUnary, request: Message): Promise<CallOutcome> {
  try {
    await transport.unary(method, undefined, undefined, undefined, request as never);
    return OK;
  } catch (error) {
    return fromConnectError(ConnectError.from(error));
  }
}

/** Through a plain grpc-js client, details read from grpc-status-details-bin. */
export function callOverGrpcJs(client: grpc.Client, method: DescMethodUnary, request: Message): Promise<CallOutcome> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      `/${method.parent.typeName}/${method.name}`,
      (message: Message) => Buffer.from(toBinary(method.input, message as never)),
      (bytes: Buffer) => bytes,
      request,
      (error) => {
        if (error === null) return resolve(OK);
        const [bytes] = error.metadata.get("grpc-status-details-bin");
        const details = bytes instanceof Buffer ? fromBinary(StatusSchema, bytes).details : [];
        resolve({
          status: grpc.status[error.code],
          fields: details.flatMap((any) => anyUnpack(any, BadRequestSchema)?.fieldViolations.map((violation) => violation.field) ?? []),
          reason: details.map((any) => anyUnpack(any, ErrorInfoSchema)?.reason).find((reason) => reason !== undefined),
          message: error.details,
        });
      },
    );
  });
}

/** A Connect JSON body sent as is (for values a client's encoder would refuse to write). */
export async function callConnectJson(baseUrl: string, method: DescMethodUnary, body: string): Promise<CallOutcome> {
  const response = await fetch(`${baseUrl}/${method.parent.typeName}/${method.name}`, {
    method: "POST",
    headers: { "content-type": "application/json", "connect-protocol-version": "1" },
    body,
  });
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (response.ok) return OK;
  return fromConnectError(errorFromJsonBytes(bytes, undefined, new ConnectError(`HTTP ${response.status}`, Code.Unknown)));
}

const camel = (name: string): string => name.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());

/** The google.api.http binding a request with location-form names uses: the one under projects/*\/locations/*. */
export function restBinding(method: DescMethodUnary): HttpRule {
  const rule = getOption(method, http);
  return [rule, ...rule.additionalBindings].find((binding) => String(binding.pattern.value).includes("/locations/")) ?? rule;
}

function jsonAt(json: JsonObject, path: string): JsonValue | undefined {
  let value: JsonValue | undefined = json;
  for (const part of path.split(".")) value = value !== null && typeof value === "object" && !Array.isArray(value) ? value[camel(part)] : undefined;
  return value;
}

function addQuery(query: URLSearchParams, key: string, value: JsonValue): void {
  if (Array.isArray(value)) value.forEach((item) => addQuery(query, key, item));
  else if (value !== null && typeof value === "object") Object.entries(value).forEach(([inner, item]) => addQuery(query, `${key}.${inner}`, item));
  else query.append(key, String(value));
}

/** Transcoded by hand from the method's google.api.http rule, as Google's REST clients do, and sent with fetch. */
export async function callOverRest(baseUrl: string, method: DescMethodUnary, json: JsonObject): Promise<CallOutcome> {
  const binding = restBinding(method);
  const pathVariables = new Set<string>();
  const path = String(binding.pattern.value).replace(/\{([^}=]+)(?:=[^}]*)?\}/g, (_, field: string) => {
    pathVariables.add(camel(field.split(".")[0]!));
    return String(jsonAt(json, field) ?? "").split("/").map(encodeURIComponent).join("/");
  });
  const query = new URLSearchParams();
  const bodyKey = binding.body === "*" || binding.body === "" ? binding.body : camel(binding.body);
  if (bodyKey !== "*") {
    for (const [key, value] of Object.entries(json)) if (key !== bodyKey && !pathVariables.has(key)) addQuery(query, key, value);
  }
  const body = bodyKey === "" ? undefined : JSON.stringify(bodyKey === "*" ? json : (json[bodyKey] ?? {}));
  const response = await fetch(`${baseUrl}${path}${query.size > 0 ? `?${query}` : ""}`, {
    method: binding.pattern.case?.toUpperCase(),
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body,
  });
  const answer = (await response.json()) as { error?: { status: string; message: string; details?: Record<string, unknown>[] } };
  if (answer.error === undefined) return OK;
  const details = answer.error.details ?? [];
  const typed = (name: string) => details.filter((detail) => detail["@type"] === `type.googleapis.com/google.rpc.${name}`);
  return {
    status: answer.error.status,
    fields: typed("BadRequest").flatMap((detail) => (detail["fieldViolations"] as { field: string }[]).map((violation) => violation.field)),
    reason: typed("ErrorInfo")[0]?.["reason"] as string | undefined,
    message: answer.error.message,
    httpStatus: response.status,
  };
}
