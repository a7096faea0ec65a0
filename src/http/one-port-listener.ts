import { createServer as createHttp1Server, type RequestListener } from "node:http";
import {
  createServer as createHttp2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
} from "node:http2";
import { createServer as createTcpServer, type AddressInfo, type Socket } from "node:net";
import { Duplex } from "node:stream";

export type HttpHandler = (
  request: Parameters<RequestListener>[0] | Http2ServerRequest,
  response: Parameters<RequestListener>[1] | Http2ServerResponse,
) => void;

export interface OnePortListener {
  readonly port: number;
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
 * port: Node's plaintext HTTP/2 server cannot fall back to HTTP/1.1, so the
 * first bytes of each connection decide which server gets it.
 */
export async function listenOnOnePort(handler: HttpHandler, host: string, port: number): Promise<OnePortListener> {
  const http1 = createHttp1Server(handler);
  const http2 = createHttp2Server(handler);
  const sockets = new Set<Socket>();
  const sessions = new Set<ServerHttp2Session>();
  http2.on("session", (session: ServerHttp2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });

  const tcp = createTcpServer((socket) => {
    sockets.add(socket);
    // Small RPC frames must leave at once: with Nagle's algorithm on, each
    // response waits for the client's delayed ACK (~40 ms on Linux).
    socket.setNoDelay(true);
    socket.once("close", () => sockets.delete(socket));
    socket.once("error", () => socket.destroy());
    socket.once("data", (first: Buffer) => {
      socket.pause();
      if (startsLikeHttp2(first)) {
        http2.emit("connection", replayingFirstChunk(socket, first));
      } else {
        socket.unshift(first);
        http1.emit("connection", socket);
        socket.resume();
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(port, host, () => resolve());
  });

  return {
    port: (tcp.address() as AddressInfo).port,
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

// The HTTP/2 server reads the socket's native handle and would never see bytes
// put back with unshift(); a JS stream in front of the socket replays them.
function replayingFirstChunk(socket: Socket, first: Buffer): Duplex {
  const stream = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(error, callback) {
      socket.destroy(error ?? undefined);
      callback(error);
    },
  });
  stream.push(first);
  socket.on("data", (chunk: Buffer) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.on("end", () => stream.push(null));
  socket.on("close", () => stream.destroy());
  return stream;
}
