import { fromJson, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { Code, ConnectError, type ContextValues } from "@connectrpc/connect";
import { requestError } from "../services/errors.js";
import { abortWhenCallerLeaves } from "../http-primitives/caller-left.js";
import type { HttpRequest, HttpResponse, HttpRoute } from "../http-primitives/http-request.js";
import type { RequestTarget } from "../http-primitives/request-target.js";
import { REQUEST_ID_HEADER, settleRequestId } from "../http-primitives/request-id.js";
import { EXCHANGE } from "../observability/exchange.js";
import type { UnaryCaller } from "../rpc/invoke-unary.js";
import { responseJson } from "../rpc/response-json.js";
import type { HttpBinding } from "./http-bindings.js";
import { decodePathField } from "./path-field.js";
import { addQueryParameters, parseBody, setFieldPath, snakeToCamel } from "./request-json.js";
import { sendRestAnswer, toRestError, type RestError } from "./rest-errors.js";

export interface RestRouteOptions {
  /** The routes: the google.api.http rules of the services REST serves (readHttpBindings). */
  readonly bindings: readonly HttpBinding[];
  /**
   * Where transcoded calls go: the implementations the RPC surface serves,
   * through its interceptors, so validation, errors and logging are shared.
   */
  readonly call: UnaryCaller;
  /** Larger bodies are refused with 413 before they are read (by Content-Length) or as soon as they pass it. */
  readonly maxBodyBytes: number;
  /** The values each call starts with: its exchange, which a refusal before the call settles. */
  readonly contextValues: (request: HttpRequest) => ContextValues;
}

// Request headers worth carrying over to the RPC.
const FORWARDED_HEADERS = [REQUEST_ID_HEADER, "x-goog-request-params", "x-goog-api-client", "user-agent", "authorization"];

/** REST/JSON per the proto's google.api.http rules, for every path under /v2/. */
export function createRestRoute(options: RestRouteOptions): HttpRoute {
  const { bindings } = options;
  return (request, response, target) => {
    if (!target.path.startsWith(REST_PREFIX)) return false;
    // Settled here rather than by the RPC observer, so that every answer carries it: a
    // route that does not exist, and a deadline answered while the call is still giving up.
    const requestId = settleRequestId(request.headers);
    const contextValues = options.contextValues(request);
    serve(bindings, options.call, options.maxBodyBytes, target, request, response, contextValues)
      .catch((error: unknown): Outcome => refusal(ConnectError.from(error)))
      .then((outcome) => {
        // A call refused before the interceptors took it is settled here; one they took, by them.
        contextValues.get(EXCHANGE)?.settle(outcome.code);
        send(response, outcome, requestId);
      })
      .catch(() => response.destroy());
    return true;
  };
}

/** REST's paths: every google.api.http rule of Dialogflow v2 is under it. */
export const REST_PREFIX = "/v2/";

/** What goes back: a status, a JSON body, and the headers worth passing on. */
interface Outcome extends RestError {
  /** 0 (OK) or the gRPC code of the error. */
  readonly code: Code | 0;
  /** For 405: the methods the path allows. */
  readonly allow?: string;
}

/** A refusal: the error's REST form; `httpStatus` overrides the code's usual status (405, 413). */
function refusal(error: ConnectError, httpStatus?: number): Outcome {
  return { ...toRestError(error, httpStatus), code: error.code };
}

async function serve(
  bindings: readonly HttpBinding[],
  call: UnaryCaller,
  maxBodyBytes: number,
  target: RequestTarget,
  request: HttpRequest,
  response: HttpResponse,
  contextValues: ContextValues,
): Promise<Outcome> {
  const { path, search } = target;
  const query = new URLSearchParams(search);
  const matches = bindings.flatMap((binding) => {
    const variables = binding.path.match(path);
    return variables === undefined ? [] : [{ binding, variables }];
  });
  if (matches.length === 0) return refusal(requestError(Code.NotFound, `No REST route for ${path}`, "UNKNOWN_ROUTE", { path }));
  const chosen = matches.find((match) => match.binding.verb === request.method);
  if (chosen === undefined) {
    const allow = [...new Set(matches.map((match) => match.binding.verb))].join(", ");
    const message = `${request.method} is not allowed on ${path}; use ${allow}`;
    const metadata = { method: request.method ?? "", path, allow };
    return { ...refusal(requestError(Code.InvalidArgument, message, "HTTP_METHOD_NOT_ALLOWED", metadata), 405), allow };
  }
  const { binding, variables } = chosen;
  // From here the request is a call of this method, even if it is refused before it is made.
  contextValues.get(EXCHANGE)?.aim(binding.method);

  const root: JsonObject = {};
  if (binding.body !== "") {
    let body: JsonValue;
    try {
      const declared = Number(request.headers["content-length"] ?? 0);
      if (declared > maxBodyBytes) return tooLarge(maxBodyBytes);
      const text = await readBody(request, maxBodyBytes);
      if (text === undefined) return tooLarge(maxBodyBytes);
      body = parseBody(text);
    } catch (error) {
      if (error instanceof ConnectError) throw error;
      throw requestError(Code.InvalidArgument, `The request body is not valid JSON: ${(error as Error).message}`, "INVALID_JSON_BODY");
    }
    if (binding.body === "*") {
      if (typeof body !== "object" || body === null || Array.isArray(body)) {
        throw requestError(Code.InvalidArgument, "The request body must be a JSON object", "INVALID_JSON_BODY");
      }
      Object.assign(root, body);
    } else {
      root[snakeToCamel(binding.body)] = body;
    }
  }
  addQueryParameters(root, binding.method.input, query);
  for (const [field, encoded] of variables) setFieldPath(root, field, decodePathField(field, encoded));

  let input;
  try {
    input = fromJson(binding.method.input, root, { ignoreUnknownFields: true });
  } catch (error) {
    throw requestError(
      Code.InvalidArgument,
      `The request does not fit ${binding.method.input.typeName}: ${(error as Error).message}`,
      "REQUEST_DOES_NOT_FIT_MESSAGE",
      { message: binding.method.input.typeName },
    );
  }
  const method = binding.method;

  const abort = abortWhenCallerLeaves(response);
  const result = await call(method, input, {
    header: forwardedHeaders(request),
    abort,
    timeoutMs: serverTimeoutMs(request),
    requestMethod: request.method ?? "GET",
    url: path + search,
    contextValues,
  });
  // Google's clients ask for enums as numbers with $alt=json;enum-encoding=int.
  const enumAsInteger = (query.get("$alt") ?? "").includes("enum-encoding=int");
  return { httpStatus: 200, code: 0, body: responseJson(method.output, result.message, { enumAsInteger }) };
}

/** The body as text; undefined as soon as it grows past `max` (the rest is not read). */
async function readBody(request: HttpRequest, max: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function tooLarge(max: number): Outcome {
  const message = `The request body is larger than ${max} bytes (MAX_MESSAGE_BYTES)`;
  return refusal(requestError(Code.ResourceExhausted, message, "REQUEST_BODY_TOO_LARGE", { limitBytes: String(max) }), 413);
}

function forwardedHeaders(request: HttpRequest): Headers {
  const headers = new Headers();
  for (const name of FORWARDED_HEADERS) {
    const value = request.headers[name];
    if (typeof value === "string") headers.set(name, value);
  }
  return headers;
}

// Google's REST clients send their deadline as X-Server-Timeout, in seconds.
function serverTimeoutMs(request: HttpRequest): number | undefined {
  const value = Number(request.headers["x-server-timeout"]);
  return Number.isFinite(value) && value > 0 ? value * 1000 : undefined;
}

function send(response: HttpResponse, outcome: Outcome, requestId: string): void {
  if (outcome.allow !== undefined) response.setHeader("allow", outcome.allow);
  response.setHeader(REQUEST_ID_HEADER, requestId);
  sendRestAnswer(response, outcome);
}
