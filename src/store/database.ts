// The one seam between the store and a Postgres: the production pool and the
// embedded default both implement it, so every statement runs unchanged on
// either.

/** A SQL statement; a `name` makes drivers that support it prepare it once per connection. */
export interface Statement {
  readonly name?: string;
  readonly text: string;
  /** Writes conversation events: its rows say how many in EVENTS_WRITTEN's column (see outbox-writes.ts). */
  readonly writesEvents?: boolean;
}

export interface Queryable {
  query<Row>(statement: Statement, values?: readonly unknown[]): Promise<Row[]>;
}

/** A transaction: parameterised statements, plus scripts of several statements for migrations. */
export interface Transaction extends Queryable {
  exec(script: string): Promise<void>;
}

export interface Database extends Queryable {
  /** What backs it, for start-up logs and readiness output. */
  readonly kind: "postgres" | "embedded";
  /** Statements sent so far; lets tests check that an RPC costs one round trip. */
  readonly statementCount: number;
  /** Connections of the pool, for metrics; absent when there is no pool (embedded). */
  poolStats?(): { total: number; idle: number; waiting: number };
  /** Runs `work` in one transaction; used for migrations and the events relay, never on a request path. */
  transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
