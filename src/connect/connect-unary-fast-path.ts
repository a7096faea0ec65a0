import type { DescMessage, DescMethod, DescMethodUnary } from "@bufbuild/protobuf";
import { Code, ConnectError, type ContextValues } from "@connectrpc/connect";
import { compressionBrotli, compressionGzip } from "@connectrpc/connect-node";
import {
  compressionNegotiate,
  createMethodSerializationLookup,
  readAllBytes,
  validateReadWriteMaxBytes,
  type MethodSerializationLookup,
} from "@connectrpc/connect/protocol";
import { parseTimeout, trailerMux } from "@connectrpc/connect/protocol-connect";
import { EXCHANGE } from "../observability/exchange.js";
import { abortWhenCallerLeaves } from "../http-primitives/caller-left.js";
import { requestPath, type HttpRequest, type HttpResponse } from "../http-primitives/http-request.js";
import type { UnaryCaller } from "../rpc/invoke-unary.js";
import { responseBinary } from "../rpc/response-binary.js";
import { responseJson } from "../rpc/response-json.js";
import { connectUnaryError } from "../rpc/wire-errors.js";
import { restatedError } from "./refused-requests.js";

// connect-node serves a unary Connect call through machinery built for every
// protocol and streams alike: linked abort controllers, async iterables, a
// DOMException when the call ends. The common case, a POST of an
// uncompressed JSON or protobuf message with a usable deadline or none, is
// served here instead, through the same interceptors (createUnaryCaller) and
// with connect's own request parsing, limits, error encoding and compression;
// the answer is written as every transport writes it (rpc/response-binary.ts,
// rpc/response-json.ts), byte for byte what connect's serializers write, so
// clients see what connect-node would send. Anything else (GET, compressed
// bodies, other content types or protocol versions, streams) is left to
// connect-node.

export interface ConnectUnaryFastPathOptions {
  /** The methods connect-node serves, by RPC path (the service registry's); the unary ones are taken here. */
  readonly methods: ReadonlyMap<string, DescMethod>;
  readonly call: UnaryCaller;
  /** connect-node's readMaxBytes. */
  readonly readMaxBytes: number;
  /** connect-node's compressMinBytes: smaller responses are sent as they are. */
  readonly compressMinBytes: number;
  /** connect-node's contextValues option: the call's exchange. */
  readonly contextValues: (request: HttpRequest) => ContextValues;
}

/** Serves the request and returns true, or returns false and leaves it untouched for connect-node. */
export type ConnectUnaryFastPath = (request: HttpRequest, response: HttpResponse) => boolean;

type Serialization = MethodSerializationLookup<DescMessage, DescMessage>;

interface Served {
  readonly method: DescMethodUnary;
  readonly serialization: Serialization;
}

// connect-node's defaults (connectNodeAdapter), for answers at least compressMinBytes long.
const ACCEPT_COMPRESSION = [compressionGzip, compressionBrotli];

// Exactly the content types connect-node answers with; a request's own spelling of them is left to connect-node.
const BINARY_OF_CONTENT_TYPE = new Map([
  ["application/json", false],
  ["application/json; charset=utf-8", false],
  ["application/proto", true],
]);

const utf8 = new TextEncoder();

// setTimeout fires at once past this; connect-node does the same, so such deadlines stay with it.
const MAX_TIMER_MS = 2 ** 31 - 1;

export function createConnectUnaryFastPath(options: ConnectUnaryFastPathOptions): ConnectUnaryFastPath {
  const limits = validateReadWriteMaxBytes(options.readMaxBytes, undefined, options.compressMinBytes);
  const served = new Map<string, Served>();
  for (const [path, method] of options.methods) {
    if (!isUnary(method)) continue;
    // No JSON or binary options: connect-node's defaults, as src/server.ts configures it.
    served.set(path, { method, serialization: createMethodSerializationLookup(method, undefined, undefined, limits) });
  }
  return (request, response) => {
    if (request.method !== "POST") return false;
    const path = requestPath(request);
    const target = served.get(path);
    if (target === undefined) return false;
    const { headers } = request;
    const binary = BINARY_OF_CONTENT_TYPE.get(headers["content-type"] ?? "");
    if (binary === undefined) return false;
    if (!isIdentity(headers["content-encoding"]) || !isIdentity(headers["connect-content-encoding"])) return false;
    const version = headers["connect-protocol-version"];
    if (version !== undefined && version !== "1") return false;
    const timeout = parseTimeout(single(headers["connect-timeout-ms"]) ?? null, Number.MAX_SAFE_INTEGER);
    const { timeoutMs } = timeout;
    if (timeout.error !== undefined || (timeoutMs !== undefined && (timeoutMs < 1 || timeoutMs > MAX_TIMER_MS))) return false;
    const authority = "authority" in request ? request.authority : headers.host;
    // connect-node refuses such a request in its own way.
    if (authority === undefined || authority === "") return false;
    const encrypted = "encrypted" in request.socket && request.socket.encrypted === true;
    const call = {
      target,
      binary,
      timeoutMs,
      url: new URL(request.url ?? "", `${encrypted ? "https" : "http"}://${authority}`).toString(),
    };
    serve(options, limits.readMaxBytes, limits.compressMinBytes, call, request, response).catch(() => response.destroy());
    return true;
  };
}

interface FastCall {
  readonly target: Served;
  readonly binary: boolean;
  readonly timeoutMs: number | undefined;
  readonly url: string;
}

async function serve(
  options: ConnectUnaryFastPathOptions,
  readMaxBytes: number,
  compressMinBytes: number,
  { target, binary, timeoutMs, url }: FastCall,
  request: HttpRequest,
  response: HttpResponse,
): Promise<void> {
  const { method, serialization } = target;
  const contextValues = options.contextValues(request);
  const requestHeader = webHeaders(request.headers);
  // Request compression is identity (checked above): only the response's is negotiated.
  const compression = compressionNegotiate(ACCEPT_COMPRESSION, null, requestHeader.get("accept-encoding"), "accept-encoding");
  const abort = abortWhenCallerLeaves(response);
  let status = 200;
  let header: Headers;
  let body: Uint8Array;
  try {
    const input = await readInput(readMaxBytes, binary, serialization, method, contextValues, request);
    const result = await options.call(method, input, {
      header: requestHeader,
      abort,
      timeoutMs,
      requestMethod: "POST",
      url,
      protocolName: "connect",
      contextValues,
      atDeadline: "abort",
    });
    body = binary ? responseBinary(method.output, result.message) : utf8.encode(JSON.stringify(responseJson(method.output, result.message)));
    result.header.set("content-type", binary ? "application/proto" : "application/json");
    header = trailerMux(result.header, result.trailer);
  } catch (caught) {
    const error = caught instanceof ConnectError ? caught : new ConnectError("internal error", Code.Internal, undefined, undefined, caught);
    ({ status, body } = connectUnaryError(error));
    header = new Headers({ "content-type": "application/json" });
    error.metadata.forEach((value, key) => header.set(key, value));
  }
  if (compression.response !== null && body.byteLength >= compressMinBytes) {
    body = await compression.response.compress(body);
    header.set("content-encoding", compression.response.name);
  }
  header.set("content-length", String(body.byteLength));
  const nodeHeaders: Record<string, string> = {};
  header.forEach((value, key) => {
    nodeHeaders[key] = value;
  });
  response.writeHead(status, nodeHeaders);
  response.end(body);
}

/**
 * The request message, or the refusal connect-node gives before any
 * interceptor runs, restated as refused-requests.ts restates it, the
 * restated code settling the call's exchange as there.
 */
async function readInput(
  readMaxBytes: number,
  binary: boolean,
  serialization: Serialization,
  method: DescMethodUnary,
  contextValues: ContextValues,
  request: HttpRequest,
) {
  let read = false;
  try {
    const bytes = await readAllBytes(request as AsyncIterable<Uint8Array>, readMaxBytes, single(request.headers["content-length"]) ?? null);
    read = true;
    return serialization.getI(binary).parse(bytes);
  } catch (caught) {
    const error = caught instanceof ConnectError ? caught : new ConnectError("internal error", Code.Internal, undefined, undefined, caught);
    const restated = restatedError(error, method.input, read ? (binary ? "binary" : "json") : undefined) ?? error;
    contextValues.get(EXCHANGE)?.settle(restated.code);
    throw restated;
  }
}

function isUnary(method: DescMethod): method is DescMethodUnary {
  return method.methodKind === "unary";
}

function isIdentity(encoding: string | string[] | undefined): boolean {
  return encoding === undefined || encoding === "identity";
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** As connect-node gives them to interceptors: HTTP/2 pseudo-headers left out. */
function webHeaders(nodeHeaders: HttpRequest["headers"]): Headers {
  const header = new Headers();
  for (const [name, value] of Object.entries(nodeHeaders)) {
    if (name.startsWith(":") || value === undefined) continue;
    if (Array.isArray(value)) for (const each of value) header.append(name, each);
    else header.append(name, String(value));
  }
  return header;
}
