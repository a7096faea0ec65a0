import type { DescMessage } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  createAsyncIterable,
  encodeEnvelope,
  type UniversalHandler,
  type UniversalServerRequest,
  type UniversalServerResponse,
} from "@connectrpc/connect/protocol";
import { codeToHttpStatus, errorFromJsonBytes, errorToJsonBytes } from "@connectrpc/connect/protocol-connect";
import { findTrailerError, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { trailerFlag, trailerParse, trailerSerialize } from "@connectrpc/connect/protocol-grpc-web";
import { ErrorInfoSchema } from "../gen/google/rpc/error_details_pb.js";
import { OBSERVED } from "../observability/rpc-observer.js";
import { undecodableRequest, withErrorInfo } from "../services/errors.js";

// connect-node decodes a request before any interceptor runs, and answers a
// body it cannot decode by itself: INTERNAL "parse binary: ..." for protobuf,
// INVALID_ARGUMENT with protobuf-es's message for JSON, neither with ErrorInfo.
// None of its serialization options can change that, so the refusals are
// restated here, from the response: a body that is not the request message is
// INVALID_ARGUMENT naming the message (as grpc-js answers it), and any other
// refusal keeps its code and gains an ErrorInfo. Calls the interceptors saw
// are passed through untouched, so successful calls cost nothing.

/** Wraps every handler of the router in place: connect-node serves router.handlers as they stand after routes(). */
export function restateRefusedRequests(handlers: UniversalHandler[]): void {
  handlers.forEach((handler, index) => {
    handlers[index] = Object.assign(
      async (request: UniversalServerRequest) => {
        const response = await handler(request);
        const observed = request.contextValues?.get(OBSERVED);
        if (observed === undefined || observed.seen) return response;
        return restate(response, (error) => {
          const restated = restatedError(error, handler.method.input);
          if (restated !== undefined) observed.code = restated.code;
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
  const json = errorToJsonBytes(error, undefined);
  response.header?.set("content-length", String(json.byteLength));
  return { ...response, status: codeToHttpStatus(error.code), body: createAsyncIterable([json]) };
}

// gRPC-Web: the status is a trailer envelope, the only one in a call refused before its message was read.
function restateGrpcWeb(response: UniversalServerResponse, body: Uint8Array, restatement: Restatement): UniversalServerResponse {
  const unchanged = { ...response, body: createAsyncIterable([body]) };
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  if (body.byteLength < 5 || body[0] !== trailerFlag || view.getUint32(1) !== body.byteLength - 5) return unchanged;
  const found = findTrailerError(trailerParse(body.subarray(5)));
  const error = found === undefined ? undefined : restatement(found);
  if (error === undefined) return unchanged;
  const trailer = trailerSerialize(setTrailerStatus(new Headers(), error));
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
    setTrailerStatus(trailer, error);
  }
  return { ...response, body: restated() };
}

/** The error a client should see instead, or undefined to leave it as it is. */
export function restatedError(error: ConnectError, input: DescMessage): ConnectError | undefined {
  if (error.findDetails(ErrorInfoSchema).length > 0) return undefined;
  // connect-es's own wording for a protobuf body it cannot decode (protocol/serialization.js).
  const binary = "parse binary: ";
  if (error.code === Code.Internal && error.rawMessage.startsWith(binary)) {
    return undecodableRequest(input.typeName, "binary", error.rawMessage.slice(binary.length));
  }
  // protobuf-es's wording for JSON that is not the message (from-json.js): syntax, unknown key, bad value.
  if (error.code === Code.InvalidArgument && /^cannot decode .* from JSON: /s.test(error.rawMessage)) {
    const top = `cannot decode message ${input.typeName} from JSON: `;
    return undecodableRequest(input.typeName, "json", error.rawMessage.startsWith(top) ? error.rawMessage.slice(top.length) : error.rawMessage);
  }
  return withErrorInfo(new ConnectError(error.rawMessage, error.code));
}

async function readAll(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks);
}
