import type { ConnectError } from "@connectrpc/connect";
import { encodeEnvelope } from "@connectrpc/connect/protocol";
import { codeToHttpStatus, endStreamFlag, endStreamToJson, errorToJsonBytes } from "@connectrpc/connect/protocol-connect";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";

// How a failed call's status goes on the wire, one encoder per protocol,
// with connect's own serializers, so that a status answered by us reads as
// connect-node's and grpc-js's do. REST's is rest/rest-errors.ts; grpc-js
// sends its own statuses from grpc/grpc-status.ts.

/** Connect unary: the HTTP status and the JSON error body. */
export function connectUnaryError(error: ConnectError): { readonly status: number; readonly body: Uint8Array } {
  return { status: codeToHttpStatus(error.code), body: errorToJsonBytes(error, undefined) };
}

/** Connect streaming: the end-stream envelope that carries the status (with HTTP status 200). */
export function connectEndStream(error: ConnectError): Uint8Array {
  return encodeEnvelope(endStreamFlag, new TextEncoder().encode(JSON.stringify(endStreamToJson(new Headers(), error, undefined))));
}

/** gRPC and gRPC-Web trailers-only: grpc-status, grpc-message (escaped as the spec asks) and grpc-status-details-bin. */
export function grpcStatusHeaders(error: ConnectError): Record<string, string> {
  const headers = setTrailerStatus(new Headers(), error);
  headers.set("grpc-message", encodeGrpcMessage(error.rawMessage));
  return Object.fromEntries(headers);
}

/**
 * A status message as the gRPC spec percent-encodes grpc-message: only the
 * UTF-8 bytes outside 0x20-0x7E, and "%". connect's encodeURIComponent also
 * escapes ":" and "/", which grpc-js (decodeURI) leaves in the text; encoded
 * so, the message reads as written in every client, as grpc-js's own do.
 */
export function encodeGrpcMessage(message: string): string {
  let encoded = "";
  for (const byte of new TextEncoder().encode(message)) {
    encoded += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return encoded;
}
