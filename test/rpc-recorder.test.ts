import { Writable } from "node:stream";
import { pino, type Logger } from "pino";
import { describe, expect, it } from "vitest";
import type { Metrics } from "../src/observability/metrics.js";
import { createRpcRecorder, type RpcRecord } from "../src/observability/rpc-recorder.js";

// The recorder writes its line itself, without pino's walk over an object:
// the line must be the one pino writes for the same fields, byte for byte.

function collectingLogger(level: string, bindings?: Record<string, unknown>): { log: Logger; written: string[] } {
  const written: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      written.push(String(chunk));
      done();
    },
  });
  const root = pino({ level }, sink);
  return { log: bindings === undefined ? root : root.child(bindings), written };
}

const observed: [string, string, string, number][] = [];
const metrics = { observeRpc: (...sample: [string, string, string, number]) => observed.push(sample) } as unknown as Metrics;

const records: RpcRecord[] = [
  { service: "google.cloud.dialogflow.v2.Conversations", method: "GetConversation", protocol: "grpc", code: 0, seconds: 0.000591234, requestId: "plain-id" },
  { service: "google.cloud.dialogflow.v2.Participants", method: "AnalyzeContent", protocol: "rest", code: 5, seconds: 12.5, requestId: 'quote" back\\ newline\n sep\u2028 nul\u0000 é' },
  { service: "grpc.health.v1.Health", method: "Check", protocol: "connect", code: 14, seconds: 0, requestId: "" },
];
const codeNames: Record<number, string> = { 0: "OK", 5: "NOT_FOUND", 14: "UNAVAILABLE" };

const withoutTime = (line: string | undefined) => line?.replace(/"time":\d+/, '"time":0');

describe("rpc log line", () => {
  for (const bindings of [undefined, { worker: 3, name: 'a "quoted" name' }]) {
    it(`is the line pino writes for the same fields${bindings === undefined ? "" : ", under a child logger's bindings"}`, async () => {
      const ours = collectingLogger("info", bindings);
      const pinos = collectingLogger("info", bindings);
      const record = createRpcRecorder(ours.log, metrics);
      for (const entry of records) {
        record(entry);
        pinos.log.info(
          {
            service: entry.service,
            method: entry.method,
            protocol: entry.protocol,
            code: codeNames[entry.code],
            durationMs: Math.round(entry.seconds * 1e6) / 1000,
            requestId: entry.requestId,
          },
          "rpc",
        );
      }
      await new Promise((resolve) => setImmediate(resolve));
      expect(ours.written).toHaveLength(records.length);
      expect(ours.written.map(withoutTime)).toEqual(pinos.written.map(withoutTime));
      for (const line of ours.written) expect(JSON.parse(line)).toMatchObject({ level: 30, msg: "rpc", pid: process.pid });
    });
  }

  it("is not written below info, while the metric still is", async () => {
    const quiet = collectingLogger("warn");
    observed.length = 0;
    createRpcRecorder(quiet.log, metrics)(records[0] as RpcRecord);
    await new Promise((resolve) => setImmediate(resolve));
    expect(quiet.written).toEqual([]);
    expect(observed).toEqual([["google.cloud.dialogflow.v2.Conversations", "GetConversation", "OK", 0.000591234]]);
  });
});
