import type { Code } from "@connectrpc/connect";
import type { Logger } from "pino";
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
  return (record) => {
    const code = canonicalCodeName(record.code);
    metrics.observeRpc(record.service, record.method, code, record.seconds);
    if (!logs) return;
    log.info(
      {
        service: record.service,
        method: record.method,
        protocol: record.protocol,
        code,
        durationMs: Math.round(record.seconds * 1e6) / 1000,
        requestId: record.requestId,
      },
      "rpc",
    );
  };
}
