import type { Logger } from "pino";
import { Counter, type Registry } from "prom-client";
import { canonicalCodeName } from "../domain/code-names.js";
import type { DenialListener } from "./call-guard.js";

/**
 * Logs every refused call (with the principal's name, never its token) and
 * counts it in auth_denials_total{code,reason}.
 */
export function createDenialReport(log: Logger, registry: Registry): DenialListener {
  const denials = new Counter({
    name: "auth_denials_total",
    help: "Calls refused for want of a valid token or of a permission, by code and reason.",
    labelNames: ["code", "reason"],
    registers: [registry],
  });
  return (denial, call) => {
    // Codes spelled as rpc_requests_total and the "rpc" log lines spell them.
    const code = canonicalCodeName(denial.code);
    denials.inc({ code, reason: denial.reason });
    log.warn(
      { ...denial.metadata, service: call.service ?? null, method: call.method ?? null, path: call.path, code, reason: denial.reason, principal: denial.principalName ?? null },
      "call refused",
    );
  };
}
