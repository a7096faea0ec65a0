import type { Code } from "@connectrpc/connect";
import { pino, type Logger } from "pino";
import { canonicalCodeName } from "../domain/code-names.js";
import type { Metrics } from "./metrics.js";

/** What every protocol reports once per call, whatever served it. */
export interface RpcRecord {
  readonly service: string;
  readonly method: string;
  readonly protocol: string;
  /** 0 (OK) or the failure's gRPC code. */
  readonly code: Code | 0;
  readonly seconds: number;
  readonly requestId: string;
}

export type RpcRecorder = (record: RpcRecord) => void;

/** One metrics sample and one log line per call. */
export function createRpcRecorder(log: Logger, metrics: Metrics): RpcRecorder {
  const logs = log.isLevelEnabled("info");
  const writeLine = rpcLineWriter(log);
  return (record) => {
    const code = canonicalCodeName(record.code);
    metrics.observeRpc(record.service, record.method, code, record.seconds);
    if (logs) writeLine(record, code);
  };
}

// The line log.info({ service, method, protocol, code, durationMs, requestId }, "rpc")
// writes, byte for byte, made without pino's generic walk over the object (the
// larger part of a call's logging cost): pino's own time, bindings and
// destination (pino.symbols, its interface for integrations), our fixed keys.
function rpcLineWriter(log: Logger): (record: RpcRecord, code: string) => void {
  const internals = log as unknown as Record<symbol, unknown>;
  const stream = internals[pino.symbols.streamSym] as { write(line: string): unknown };
  const time = internals[pino.symbols.timeSym] as () => string;
  const bindings = internals[pino.symbols.chindingsSym] as string;
  const level = log.levels.values["info"];
  return (record, code) => {
    const durationMs = Math.round(record.seconds * 1e6) / 1000;
    stream.write(
      `{"level":${level}${time()}${bindings},"service":${JSON.stringify(record.service)},"method":${JSON.stringify(record.method)},` +
        `"protocol":${JSON.stringify(record.protocol)},"code":${JSON.stringify(code)},"durationMs":${durationMs},` +
        `"requestId":${JSON.stringify(record.requestId)},"msg":"rpc"}\n`,
    );
  };
}
