import { constants, type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from "node:http2";
import type { DescMethod } from "@bufbuild/protobuf";

export interface Http2Timeouts {
  /** A session must open a stream, and a stream send its whole request, within this. */
  readonly requestTimeoutMs: number;
  /** A session with no frames either way this long is sent GOAWAY. */
  readonly idleTimeoutMs: number;
  /** Paths of RPCs whose client streams its request (client-streaming, bidi): that half stays open by design. */
  readonly streamingRequestPaths: ReadonlySet<string>;
}

/**
 * Bounds how long one HTTP/2 session and its streams can hold the server,
 * whoever serves the streams (grpc-js, connect-node, REST), so that silent
 * clients cannot pile up streams until memory runs out:
 * - a session that opens no stream within the request timeout is dropped;
 * - a stream whose request half has not ended (END_STREAM) within the request
 *   timeout is reset (RST_STREAM CANCEL), as HTTP/1.1's requestTimeout closes
 *   a request that is not whole;
 * - a stream of a client-streaming or bidi RPC may keep its request half open
 *   as long as it likes (a reflection client sends a request and waits for
 *   the answer with its half open), but is reset once it has been quiet both
 *   ways for the request timeout with that half open;
 * - a session idle for the idle timeout is sent GOAWAY, and destroyed once its
 *   streams end or, at the latest, a request timeout later (a quiet server
 *   stream would otherwise hold it open forever).
 */
export function limitHttp2Session(session: ServerHttp2Session, timeouts: Http2Timeouts): void {
  const firstStream = setTimeout(() => session.destroy(), timeouts.requestTimeoutMs);
  session.once("stream", () => clearTimeout(firstStream));
  session.on("stream", (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number) => limitRequest(stream, headers, flags, timeouts));
  session.setTimeout(timeouts.idleTimeoutMs, () => {
    if (session.closed) return;
    // GOAWAY: Node destroys the session by itself once its streams have ended.
    session.close();
    const cut = setTimeout(() => session.destroy(), timeouts.requestTimeoutMs);
    session.once("close", () => clearTimeout(cut));
  });
  session.once("close", () => clearTimeout(firstStream));
}

function limitRequest(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number, timeouts: Http2Timeouts): void {
  // HEADERS with END_STREAM (a GET, a Connect GET) is a whole request already.
  if ((flags & constants.NGHTTP2_FLAG_END_STREAM) !== 0) return;
  const resetIfOpen = () => {
    if (!hasRequestEnded(stream)) stream.close(constants.NGHTTP2_CANCEL);
  };
  if (timeouts.streamingRequestPaths.has(headers[":path"] ?? "")) {
    // Node restarts a stream's timer on every frame it reads or writes.
    stream.setTimeout(timeouts.requestTimeoutMs, resetIfOpen);
    return;
  }
  const timer = setTimeout(resetIfOpen, timeouts.requestTimeoutMs);
  stream.once("close", () => clearTimeout(timer));
}

// remoteClose is nghttp2's view: the client sent END_STREAM, whether or not the handler has read that far.
function hasRequestEnded(stream: ServerHttp2Stream): boolean {
  return stream.closed || stream.destroyed || stream.state.remoteClose === 1;
}

/** The paths of the RPCs (by path, as the service registry lists them) whose client streams its request. */
export function streamingRequestPaths(methods: ReadonlyMap<string, DescMethod>): ReadonlySet<string> {
  return new Set(
    [...methods].filter(([, method]) => method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming").map(([path]) => path),
  );
}
