import { Writable } from "node:stream";
import { pino, type Logger } from "pino";

/** The JSON lines a test server logs, parsed as they are written. */
export interface CapturedLog<Line> {
  /** A logger at `info` writing into `lines`, to give startTestServer as `log`. */
  readonly log: Logger;
  readonly lines: Line[];
}

export function captureLog<Line>(): CapturedLog<Line> {
  const lines: Line[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n")) if (line.trim() !== "") lines.push(JSON.parse(line) as Line);
      done();
    },
  });
  return { log: pino({ level: "info" }, sink), lines };
}
