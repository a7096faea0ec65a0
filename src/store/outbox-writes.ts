import type { Database, Statement } from "./database.js";
import { EVENTS_WRITTEN } from "./event-outbox-sql.js";

// How the events relay of this process learns that a statement committed
// events (migration 011 says why not NOTIFY): a statement marked
// `writesEvents` says in a column of its rows how many it wrote, and this
// tells the relay when that is more than none. Events another replica wrote
// are that replica's to relay at once; should it die first, any relay's poll
// finds them.

export interface OutboxWrites {
  /** `database`, whose statements marked `writesEvents` report what they wrote. */
  readonly database: Database;
  /** Who is told after a statement that wrote events answered (one listener: the relay). */
  onWritten(listener: () => void): void;
}

type CountedRow = { readonly [EVENTS_WRITTEN]?: number };

export function watchOutboxWrites(database: Database): OutboxWrites {
  let listener: (() => void) | undefined;
  const told = <Row>(rows: Row[]): Row[] => {
    for (const row of rows as CountedRow[]) {
      if ((row[EVENTS_WRITTEN] ?? 0) > 0) {
        listener?.();
        break;
      }
    }
    return rows;
  };
  return {
    database: {
      kind: database.kind,
      get statementCount() {
        return database.statementCount;
      },
      query<Row>(statement: Statement, values?: readonly unknown[]) {
        const rows = database.query<Row>(statement, values);
        return statement.writesEvents === true ? rows.then(told) : rows;
      },
      transaction: (work) => database.transaction(work),
      poolStats: database.poolStats?.bind(database),
      close: () => database.close(),
    },
    onWritten(next) {
      listener = next;
    },
  };
}
