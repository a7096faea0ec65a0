import { createServer as createHttp1Server, type RequestListener } from "node:http";
import {
  createServer as createHttp2Server,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from "node:http2";
import { createServer as createTcpServer, type AddressInfo, type Server as NetServer, type Socket } from "node:net";
import { createServer as createTlsServer, Server as TlsServer, type TLSSocket } from "node:tls";
import type { StreamListener } from "../grpc/grpc-js-streams.js";
import { limitHttp2Session } from "../limits/http2-timeouts.js";
import type { Limits } from "../limits/limits.js";

export type HttpHandler = (
  request: Parameters<RequestListener>[0] | Http2ServerRequest,
  response: Parameters<RequestListener>[1] | Http2ServerResponse,
) => void;

export interface OnePortOptions {
  /** HTTP/1.1 requests, and HTTP/2 requests that are not gRPC (Connect, gRPC-Web, REST, ops). */
  readonly http: HttpHandler;
  /** Given the HTTP/2 server once, returns what serves its gRPC streams (grpc-js). */
  readonly grpc: (http2: Http2Server) => StreamListener;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly limits: Pick<Limits, "maxConcurrentStreams" | "maxConnections" | "requestTimeoutMs" | "idleTimeoutMs">;
  /** Paths of the RPCs whose client streams its request, which may keep their request half open (see limitHttp2Session). */
  readonly streamingRequestPaths: ReadonlySet<string>;
  /** PEM certificate chain and key: serve TLS, choosing HTTP/2 or HTTP/1.1 by ALPN. */
  readonly tls?: { readonly cert: string; readonly key: string } | undefined;
}

export interface OnePortListener {
  readonly port: number;
  /**
   * Serves an accepted connection, deciding by its first bytes whether it
   * speaks HTTP/2 (the client preface) or HTTP/1.1. A TLS listener that
   * already knows the protocol from ALPN calls serveHttp2 / serveHttp1.
   */
  routeConnection(socket: Socket): void;
  serveHttp2(socket: Socket): void;
  serveHttp1(socket: Socket): void;
  /**
   * Handshakes from now on use this certificate and key (a renewed
   * certificate); connections already open keep theirs. Throws when the port
   * does not serve TLS or OpenSSL refuses the pair.
   */
  replaceCertificate(tls: { readonly cert: string; readonly key: string }): void;
  /**
   * Stops accepting connections and lets open requests finish; connections
   * still open after `graceMs` are cut.
   */
  close(graceMs?: number): Promise<void>;
}

// Every HTTP/2 connection without TLS begins with this preface (RFC 9113 §3.4).
const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/**
 * Serves HTTP/1.1 and cleartext HTTP/2 (h2c, as gRPC clients speak it) on one
 * port. Node's plaintext HTTP/2 server cannot fall back to HTTP/1.1, so the
 * first bytes of each connection decide which server gets it; they are put
 * back on the socket itself (`unshift`), so both servers read the native
 * socket with no JS stream in between. On HTTP/2, gRPC streams go to grpc-js
 * and every other stream (Connect, gRPC-Web) to the HTTP handler.
 */
export async function listenOnOnePort(options: OnePortOptions): Promise<OnePortListener> {
  const { limits } = options;
  const http1 = createHttp1Server(
    {
      // A request's headers, and the whole request, must arrive within the request timeout (slowloris).
      headersTimeout: limits.requestTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, limits.requestTimeoutMs),
    },
    options.http,
  );
  // Node's HTTP/1.1 server enforces those timeouts from a timer it starts on
  // "listening"; this one never listens (connections are handed to it), so
  // it is told it serves now.
  http1.emit("listening");
  const http2 = createHttp2Server({ settings: { maxConcurrentStreams: limits.maxConcurrentStreams } }, options.http);
  // Node's HTTP/2 server turns each stream into a request/response pair with a
  // "stream" listener of its own; it is taken off so the router below calls it
  // only for streams that are not gRPC.
  const [toRequest, ...others] = http2.listeners("stream") as StreamListener[];
  if (toRequest === undefined || others.length > 0) throw new Error("unexpected HTTP/2 stream listeners");
  http2.removeListener("stream", toRequest);
  const toGrpc = options.grpc(http2);
  http2.on("stream", (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number, rawHeaders: string[]) => {
    if (isGrpc(headers["content-type"])) toGrpc(stream, headers, flags, rawHeaders);
    else toRequest(stream, headers, flags, rawHeaders);
  });

  const sockets = new Set<Socket>();
  const sessions = new Set<ServerHttp2Session>();
  const timeouts = { ...limits, streamingRequestPaths: options.streamingRequestPaths };
  http2.on("session", (session: ServerHttp2Session) => {
    sessions.add(session);
    // Here, where every stream passes whichever server takes it.
    limitHttp2Session(session, timeouts);
    session.once("close", () => sessions.delete(session));
  });

  const track = (socket: Socket) => {
    sockets.add(socket);
    // Small RPC frames must leave at once: with Nagle's algorithm on, each
    // response waits for the client's delayed ACK (~40 ms on Linux).
    socket.setNoDelay(true);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  };
  const serveHttp2 = (socket: Socket) => {
    http2.emit("connection", socket);
  };
  const serveHttp1 = (socket: Socket) => {
    http1.emit("connection", socket);
  };
  const routeConnection = (socket: Socket) => {
    track(socket);
    // Silent connections are closed; once bytes arrive, the servers' own timeouts take over.
    socket.setTimeout(limits.requestTimeoutMs, () => socket.destroy());
    socket.once("data", (first: Buffer) => {
      socket.setTimeout(0);
      socket.pause();
      socket.unshift(first);
      if (startsLikeHttp2(first)) {
        // The HTTP/2 session takes the unshifted bytes and the native handle over by itself.
        serveHttp2(socket);
      } else {
        serveHttp1(socket);
        socket.resume();
      }
    });
  };

  const tcp: NetServer = options.tls === undefined ? createTcpServer(routeConnection) : createTlsServer(
    // The client names its protocol in the handshake (ALPN): no sniffing needed.
    // A client that does not finish its handshake in time is closed, as a silent one is on cleartext.
    { cert: options.tls.cert, key: options.tls.key, ALPNProtocols: ["h2", "http/1.1"], handshakeTimeout: limits.requestTimeoutMs },
    (socket: TLSSocket) => {
      if (socket.alpnProtocol === "h2") {
        track(socket);
        serveHttp2(socket);
      } else if (socket.alpnProtocol === "http/1.1") {
        track(socket);
        serveHttp1(socket);
      } else {
        // A client without ALPN: HTTP/2 with prior knowledge or HTTP/1.1, told apart as on cleartext.
        routeConnection(socket);
      }
    },
  );
  // Connections past the cap are closed as they arrive, before they cost anything.
  tcp.maxConnections = limits.maxConnections;
  await new Promise<void>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(options.port, options.host, () => resolve());
  });

  return {
    port: (tcp.address() as AddressInfo).port,
    routeConnection,
    serveHttp2: (socket) => {
      track(socket);
      serveHttp2(socket);
    },
    serveHttp1: (socket) => {
      track(socket);
      serveHttp1(socket);
    },
    replaceCertificate(tls) {
      if (!(tcp instanceof TlsServer)) throw new Error("the port does not serve TLS");
      tcp.setSecureContext({ cert: tls.cert, key: tls.key });
    },
    async close(graceMs = 5000) {
      const closed = new Promise<void>((resolve) => tcp.close(() => resolve()));
      http1.close();
      http1.closeIdleConnections();
      http2.close();
      // GOAWAY: clients finish the streams they have open and start no more.
      for (const session of sessions) session.close();
      const timer = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, graceMs);
      await closed;
      clearTimeout(timer);
    },
  };
}

function startsLikeHttp2(chunk: Buffer): boolean {
  const length = Math.min(chunk.length, HTTP2_PREFACE.length);
  return chunk.subarray(0, length).equals(HTTP2_PREFACE.subarray(0, length));
}

// application/grpc and application/grpc+proto go to grpc-js; gRPC-Web and
// gRPC with JSON payloads (which grpc-js cannot decode) stay with connect-node.
function isGrpc(contentType: string | undefined): boolean {
  return (
    contentType !== undefined &&
    contentType.startsWith("application/grpc") &&
    !contentType.startsWith("application/grpc-web") &&
    !contentType.startsWith("application/grpc+json")
  );
}
