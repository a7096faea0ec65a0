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
