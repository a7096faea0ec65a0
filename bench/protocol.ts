// Messages between the bench driver and its load-generator process.

export type Operation = "get" | "create" | "complete" | "list" | "listFiltered";

export interface RecordedStatement {
  readonly name: string | undefined;
  readonly text: string;
  readonly values: readonly unknown[];
}

interface Common {
  readonly operation: Operation;
  readonly concurrency: number;
  readonly seconds: number;
  /** Conversation names to spread gets and completes over. */
  readonly names: readonly string[];
}

export interface ServiceLoad extends Common {
  readonly target: "service";
  readonly baseUrl: string;
  readonly parent: string;
  readonly profile: string;
  readonly filter: string;
}

export interface SqlLoad extends Common {
  readonly target: "sql";
  readonly databaseUrl: string;
  readonly poolSize: number;
  readonly statement: RecordedStatement;
  /** Which value is the conversation ID, replaced per call: a fresh one, or one of `names`. */
  readonly idIndex: number | undefined;
  readonly idKind: "new" | "seeded";
}

export type LoadRequest = ServiceLoad | SqlLoad;

export interface LoadReport {
  readonly count: number;
  readonly errors: number;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly failure?: string;
}
