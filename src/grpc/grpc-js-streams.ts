import type { Http2Server, IncomingHttpHeaders, ServerHttp2Stream } from "node:http2";
import type { Server as GrpcServer } from "@grpc/grpc-js";

export type StreamListener = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number, rawHeaders: string[]) => void;

// grpc-js serves the streams of an HTTP/2 server through two listeners it
// installs itself (one per session, for keepalive and idle limits; one per
// stream). Its public injector builds an HTTP/2 server of its own, which
// would send every HTTP/2 stream to gRPC and answer Connect and gRPC-Web over
// HTTP/2 with 415. Installing its listeners on our server instead lets one
// HTTP/2 server route each stream by content type. This is grpc-js's
// internal `_setupHandlers` (stable since 1.10); start-up fails loudly if a
// new version drops it, and the protocol tests cover the routing.
interface GrpcServerInternals {
  _setupHandlers?: (server: Http2Server, extraInterceptors: unknown[]) => void;
}

/** Hands `http2`'s sessions to grpc-js and returns its per-stream handler, for a router to call. */
export function takeGrpcStreamHandler(grpcServer: GrpcServer, http2: Http2Server): StreamListener {
  const setup = (grpcServer as unknown as GrpcServerInternals)._setupHandlers;
  if (typeof setup !== "function") {
    throw new Error("this @grpc/grpc-js version has no _setupHandlers; pin the version in package.json");
  }
  const before = new Set(http2.listeners("stream"));
  setup.call(grpcServer, http2, []);
  const added = http2.listeners("stream").filter((listener) => !before.has(listener));
  if (added.length !== 1) throw new Error(`expected grpc-js to add one stream listener, it added ${added.length}`);
  const handler = added[0] as StreamListener;
  http2.removeListener("stream", handler);
  return handler;
}
