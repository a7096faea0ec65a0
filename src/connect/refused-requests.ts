import type { DescMessage } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  createAsyncIterable,
  encodeEnvelope,
  type UniversalHandler,
  type UniversalServerRequest,
  type UniversalServerResponse,
} from "@connectrpc/connect/protocol";
import { errorFromJsonBytes } from "@connectrpc/connect/protocol-connect";
import { findTrailerError } from "@connectrpc/connect/protocol-grpc";
import { trailerFlag, trailerParse, trailerSerialize } from "@connectrpc/connect/protocol-grpc-web";
import { ErrorInfoSchema } from "../gen/google/rpc/error_details_pb.js";
import { EXCHANGE } from "../observability/exchange.js";
import { connectUnaryError, grpcStatusHeaders } from "../rpc/wire-errors.js";
import { undecodableRequest, withErrorInfo } from "../services/errors.js";

// connect-node decodes a request before any interceptor runs, and answers a
// body it cannot decode by itself: INTERNAL for protobuf, INVALID_ARGUMENT
// for JSON, neither with ErrorInfo. None of its serialization options can
// change that, so the refusals are restated here, from the response. Which
// refusal it was is told by the request and the code, not by the wording: a
// refusal given once the body was being read, with the code connect-node
// gives a body of that encoding it cannot decode, is INVALID_ARGUMENT naming
// the message (as grpc-js answers it); any other refusal keeps its code and
// gains an ErrorInfo. The restated code settles the call's exchange. Calls the
// interceptors took are passed through untouched.

/** Wraps every handler of the router in place: connect-node serves router.handlers as they stand after routes(). */
export function restateRefusedRequests(handlers: UniversalHandler[]): void {
  handlers.forEach((handler, index) => {
    handlers[index] = Object.assign(
      async (request: UniversalServerRequest) => {
        const body = { read: false };
        const response = await handler(isAsyncIterable(request.body) ? { ...request, body: tracked(request.body, body) } : request);
        const exchange = request.contextValues?.get(EXCHANGE);
        if (exchange === undefined || exchange.entered) return response;
        const encoding = encodingOf(request.header.get("content-type") ?? "");
        return restate(response, (error) => {
          const restated = restatedError(error, handler.method.input, body.read || request.method === "GET" ? encoding : undefined);
          exchange.settle(restated?.code ?? error.code);
          return restated;
        });
      },
      {
        protocolNames: handler.protocolNames,
        service: handler.service,
        method: handler.method,
        requestPath: handler.requestPath,
        allowedMethods: handler.allowedMethods,
        supportedContentType: handler.supportedContentType,
      },
    );
  });
}

function isAsyncIterable(value: unknown): value is AsyncIterable<Uint8Array> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}

/** The same chunks; `body.read` turns true once connect-node has begun to read them. */
async function* tracked(chunks: AsyncIterable<Uint8Array>, body: { read: boolean }): AsyncIterable<Uint8Array> {
  body.read = true;
  yield* chunks;
}

/** The encoding of a request's messages, from its content type: JSON when it says so, else protobuf. */
export function encodingOf(contentType: string): "binary" | "json" {
  return /^application\/(?:(?:grpc-web|grpc|connect)\+)?json\b/i.test(contentType) ? "json" : "binary";
}

type Restatement = (error: ConnectError) => ConnectError | undefined;

/** The response with its error restated; each protocol carries the status in its own place. */
async function restate(response: UniversalServerResponse, restatement: Restatement): Promise<UniversalServerResponse> {
  const contentType = response.header?.get("content-type") ?? "";
  if (response.body === undefined || response.header?.has("content-encoding") === true) return response;
  if (contentType.startsWith("application/grpc-web")) return restateGrpcWeb(response, await readAll(response.body), restatement);
  if (contentType.startsWith("application/grpc")) return restateGrpc(response, response.body, restatement);
  if (contentType === "application/json" && response.status !== 200) return restateConnect(response, await readAll(response.body), restatement);
  return response;
}

// Connect unary: the error is the JSON body, its code the HTTP status.
function restateConnect(response: UniversalServerResponse, body: Uint8Array, restatement: Restatement): UniversalServerResponse {
  const error = restatement(errorFromJsonBytes(body, undefined, new ConnectError("", Code.Unknown)));
  if (error === undefined) return { ...response, body: createAsyncIterable([body]) };
  const { status, body: json } = connectUnaryError(error);
  response.header?.set("content-length", String(json.byteLength));
  return { ...response, status, body: createAsyncIterable([json]) };
}

// gRPC-Web: the status is a trailer envelope, the only one in a call refused before its message was read.
function restateGrpcWeb(response: UniversalServerResponse, body: Uint8Array, restatement: Restatement): UniversalServerResponse {
  const unchanged = { ...response, body: createAsyncIterable([body]) };
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  if (body.byteLength < 5 || body[0] !== trailerFlag || view.getUint32(1) !== body.byteLength - 5) return unchanged;
  const found = findTrailerError(trailerParse(body.subarray(5)));
  const error = found === undefined ? undefined : restatement(found);
  if (error === undefined) return unchanged;
  const trailer = trailerSerialize(new Headers(grpcStatusHeaders(error)));
  return { ...response, body: createAsyncIterable([encodeEnvelope(trailerFlag, trailer)]) };
}

// gRPC (application/grpc+json reaches connect-node): the status is in the HTTP trailers, set once the body ends.
function restateGrpc(response: UniversalServerResponse, body: AsyncIterable<Uint8Array>, restatement: Restatement): UniversalServerResponse {
  if (response.trailer === undefined) return response;
  const trailer: Headers = response.trailer;
  async function* restated(): AsyncIterable<Uint8Array> {
    yield* body;
    const found = findTrailerError(trailer);
    const error = found === undefined ? undefined : restatement(found);
    if (error === undefined) return;
    for (const key of ["grpc-status", "grpc-message", "grpc-status-details-bin"]) trailer.delete(key);
    for (const [key, value] of Object.entries(grpcStatusHeaders(error))) trailer.set(key, value);
  }
  return { ...response, body: restated() };
}

// The codes connect-node refuses a body it cannot decode with, per encoding.
const UNDECODABLE_CODE = { binary: Code.Internal, json: Code.InvalidArgument } as const;

/**
 * The error a client should see instead, or undefined to leave it as it is.
 * `decodedAs` is the encoding of a body connect-node had read to its end
 * (undefined when it refused the request before reading it).
 */
export function restatedError(error: ConnectError, input: DescMessage, decodedAs: "binary" | "json" | undefined): ConnectError | undefined {
  if (error.findDetails(ErrorInfoSchema).length > 0) return undefined;
  if (decodedAs !== undefined && error.code === UNDECODABLE_CODE[decodedAs]) {
    return undecodableRequest(input.typeName, decodedAs, withoutPrefix(error.rawMessage, input));
  }
  return withErrorInfo(new ConnectError(error.rawMessage, error.code));
}

// What connect-es and protobuf-es put before the cause, left out so that the message reads once.
function withoutPrefix(message: string, input: DescMessage): string {
  for (const prefix of ["parse binary: ", `cannot decode message ${input.typeName} from JSON: `]) {
    if (message.startsWith(prefix)) return message.slice(prefix.length);
  }
  return message;
}

async function readAll(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks);
}
