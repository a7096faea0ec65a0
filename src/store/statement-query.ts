import pg from "pg";
import pgUtils from "pg/lib/utils.js";
import type { Statement } from "./database.js";

// One statement over pg's extended protocol, as pg's own Query sends it
// (Parse once per connection for a named statement, then Bind, Describe,
// Execute, Sync), handing back its rows and nothing else.
//
// pg's Query builds its result for any statement: on every execution it turns
// the row description into a dictionary-mode template object, copied into
// every row, and copies the query's config; that was a tenth of a one-call-
// at-a-time GetConversation's CPU in the driver. Here the description is
// checked against the one this statement had last time, name and type of each
// column, and the rows are built column by column, as an object literal would be,
// with the parsers looked up when the description changed. It stays a pg
// Submittable (client.query(submittable, callback), as pg-cursor is): the
// client, the pool, the connection and their error handling are pg's.

type RowsCallback = (error: Error | undefined, result?: { readonly rows: unknown[] }) => void;

/** The part of pg's connection a Submittable drives (pg-cursor drives the same). */
interface ExtendedProtocol {
  readonly parsedStatements: Record<string, string>;
  readonly submittedNamedStatements: Record<string, string>;
  readonly stream: { cork?(): void; uncork?(): void };
  parse(message: { text: string; name?: string }): void;
  bind(message: { statement?: string; values: readonly unknown[]; valueMapper: (value: unknown) => unknown }): void;
  describe(message: { type: "P"; name: string }): void;
  execute(message: { portal: string }): void;
  sync(): void;
  close(message: { type: "S"; name?: string }): void;
  sendCopyFail(message: string): void;
}

// Results come as text: Bind asks for no binary columns.
interface Column {
  readonly name: string;
  readonly dataTypeID: number;
}

interface RowLayout {
  readonly columns: readonly Column[];
  readonly parsers: readonly ((text: string) => unknown)[];
}

// The last row description each statement was answered with, and its parsers.
const layouts = new WeakMap<Statement, RowLayout>();

class StatementQuery implements pg.Submittable {
  // Read by pg's client: a named statement's text is remembered per connection.
  readonly name: string | undefined;
  readonly text: string;
  callback: RowsCallback | undefined;
  private readonly rows: unknown[] = [];
  private layout: RowLayout | undefined;
  private failure: Error | undefined;
  private settled = false;

  constructor(
    private readonly statement: Statement,
    private readonly values: readonly unknown[],
  ) {
    this.name = statement.name;
    this.text = statement.text;
  }

  submit(connection: pg.Connection): Error | null {
    const protocol = connection as unknown as ExtendedProtocol;
    const name = this.name;
    const previous = name === undefined ? undefined : (protocol.parsedStatements[name] ?? protocol.submittedNamedStatements[name]);
    if (previous !== undefined && previous !== this.text) return new Error(`Prepared statements must be unique - '${name}' was used for a different statement`);
    protocol.stream.cork?.();
    try {
      if (name === undefined || previous === undefined) {
        protocol.parse({ text: this.text, name });
        if (name !== undefined) protocol.submittedNamedStatements[name] = this.text;
      }
      try {
        protocol.bind({ statement: name, values: this.values, valueMapper: pgUtils.prepareValue });
      } catch (error) {
        // A value pg cannot send (a cycle in an object): nothing was executed.
        protocol.close({ type: "S", name });
        protocol.sync();
        this.handleError(error as Error);
        return null;
      }
      protocol.describe({ type: "P", name: "" });
      protocol.execute({ portal: "" });
      protocol.sync();
    } finally {
      protocol.stream.uncork?.();
    }
    return null;
  }

  handleRowDescription(message: { fields: readonly Column[] }): void {
    this.layout = layoutFor(this.statement, message.fields);
  }

  handleDataRow(message: { fields: readonly (string | null)[] }): void {
    const layout = this.layout;
    if (layout === undefined || this.failure !== undefined) return;
    const row: Record<string, unknown> = {};
    const { columns, parsers } = layout;
    const texts = message.fields;
    try {
      for (let index = 0; index < texts.length; index++) {
        const text = texts[index] as string | null;
        row[(columns[index] as Column).name] = text === null ? null : (parsers[index] as (text: string) => unknown)(text);
      }
    } catch (error) {
      // As pg's Query: the statement runs to its end, and fails with what could not be read.
      this.failure = error as Error;
      return;
    }
    this.rows.push(row);
  }

  handleCommandComplete(): void {}

  handleEmptyQuery(): void {}

  handlePortalSuspended(): void {}

  handleError(error: Error): void {
    this.settle(this.failure ?? error);
  }

  handleReadyForQuery(): void {
    this.settle(this.failure);
  }

  handleCopyInResponse(connection: pg.Connection): void {
    (connection as unknown as ExtendedProtocol).sendCopyFail("No source stream defined");
  }

  handleCopyData(): void {}

  private settle(error: Error | undefined): void {
    if (this.settled) return;
    this.settled = true;
    if (error === undefined) this.callback?.(undefined, { rows: this.rows });
    else this.callback?.(error);
  }
}

/** pg's pool and client both take a Submittable and a callback (the pool checks a client out for it). */
interface TakesSubmittable {
  query(query: StatementQuery, callback: RowsCallback): unknown;
}

/** The rows of `statement` run on `target`; a failure is rejected as `failure` makes it. */
export function queryRows<Row>(target: pg.Pool | pg.PoolClient, statement: Statement, values: readonly unknown[], failure: (error: unknown) => unknown): Promise<Row[]> {
  return new Promise<Row[]>((resolve, reject) => {
    (target as unknown as TakesSubmittable).query(new StatementQuery(statement, values), (error, result) => {
      if (error === undefined) resolve((result as { rows: Row[] }).rows);
      else reject(failure(error));
    });
  });
}

/** The layout of `fields`: the statement's last one when every column's name and type are the same. */
function layoutFor(statement: Statement, fields: readonly Column[]): RowLayout {
  const last = layouts.get(statement);
  if (last !== undefined && sameColumns(last.columns, fields)) return last;
  const columns = fields.map(({ name, dataTypeID }) => ({ name, dataTypeID }));
  const parsers = columns.map(({ dataTypeID }) => pg.types.getTypeParser(dataTypeID, "text") as (text: string) => unknown);
  const layout = { columns, parsers };
  layouts.set(statement, layout);
  return layout;
}

function sameColumns(known: readonly Column[], fields: readonly Column[]): boolean {
  if (known.length !== fields.length) return false;
  for (let index = 0; index < fields.length; index++) {
    const a = known[index] as Column;
    const b = fields[index] as Column;
    if (a.name !== b.name || a.dataTypeID !== b.dataTypeID) return false;
  }
  return true;
}
