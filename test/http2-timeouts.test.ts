import { connect, constants, createServer, type ClientHttp2Session, type ClientHttp2Stream, type Http2Server } from "node:http2";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { limitHttp2Session } from "../src/limits/http2-timeouts.js";

// The session limits on a bare HTTP/2 server whose handler never reads nor answers, so only they end streams.

const REQUEST_TIMEOUT_MS = 400;
const STREAMING = "/pkg.Service/Chat";

describe("HTTP/2 session limits", () => {
  let server: Http2Server;
  let session: ClientHttp2Session;

  beforeEach(async () => {
    server = createServer();
    server.on("session", (serverSession) =>
      limitHttp2Session(serverSession, { requestTimeoutMs: REQUEST_TIMEOUT_MS, idleTimeoutMs: 60_000, streamingRequestPaths: new Set([STREAMING]) }),
    );
    server.on("stream", (stream) => stream.on("error", () => undefined));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    session = connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  afterEach(async () => {
    session.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  const open = (path: string): ClientHttp2Stream => {
    const stream = session.request({ ":method": "POST", ":path": path }, { endStream: false });
    stream.on("error", () => undefined);
    return stream;
  };
  const resetCode = (stream: ClientHttp2Stream) => (stream.closed ? stream.rstCode : "open");

  it("resets a request still open after the timeout, and leaves one whose END_STREAM came, read or not", async () => {
    const silent = open("/pkg.Service/Get");
    const ended = open("/pkg.Service/Get");
    ended.end("whole request");
    await sleep(REQUEST_TIMEOUT_MS * 2);
    expect([resetCode(silent), resetCode(ended)]).toEqual([constants.NGHTTP2_CANCEL, "open"]);
  });

  it("lets a streaming request stay open while it sends, and resets it once quiet for the timeout", async () => {
    const chat = open(STREAMING);
    // Open longer than the timeout, never quiet for a quarter of it.
    for (let i = 0; i < 6; i++) {
      chat.write("a message");
      await sleep(REQUEST_TIMEOUT_MS / 4);
    }
    expect(resetCode(chat)).toBe("open");
    await sleep(REQUEST_TIMEOUT_MS * 2);
    expect(resetCode(chat)).toBe(constants.NGHTTP2_CANCEL);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
