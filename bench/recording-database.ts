import type { Database } from "../src/store/database.js";
import type { RecordedStatement } from "./recorded-statement.js";

/** A Database that remembers the last statement it sent, for the limit phase to replay. */
export function recordingDatabase(inner: Database): Database & { last(): RecordedStatement } {
  let last: RecordedStatement | undefined;
  return {
    kind: inner.kind,
    get statementCount() {
      return inner.statementCount;
    },
    query(statement, values = []) {
      last = { name: statement.name, text: statement.text, values };
      return inner.query(statement, values);
    },
    poolStats: () => inner.poolStats?.() ?? { total: 0, idle: 0, waiting: 0 },
    transaction: (work) => inner.transaction(work),
    close: () => inner.close(),
    last() {
      if (last === undefined) throw new Error("no statement recorded yet");
      return last;
    },
  };
}
