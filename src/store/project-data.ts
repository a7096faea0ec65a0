import type { Database, Queryable } from "./database.js";

// A project's data as a whole: every row of every table with a `project`
// column, whatever the store keeps there. The tables and columns come from
// the catalog, so a table or field added by a later migration is erased,
// exported and imported with no change here. Used by the emulator reset and
// by the export / import command.

export interface ProjectTable {
  readonly name: string;
  /** The columns a row can be written with (generated ones are left out). */
  readonly columns: readonly string[];
}

/**
 * Tables of a project's work in flight rather than its data: erased with the
 * project (a reset drops its pending events) but never exported or imported,
 * as an event published once must not be published again from a copy.
 */
const TRANSIENT_TABLES = new Set(["event_outbox"]);

/** Rows by table name, each row the JSON of a table row (column name to value). */
export type ProjectRows = Record<string, Array<Record<string, unknown>>>;

export async function projectTables(database: Queryable): Promise<ProjectTable[]> {
  const rows = await database.query<{ name: string; columns: string[] }>({
    text: `SELECT c.table_name AS name, array_agg(c.column_name::text ORDER BY c.ordinal_position) AS columns
           FROM information_schema.columns AS c
           JOIN information_schema.tables AS t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
           WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.is_generated = 'NEVER'
             AND EXISTS (SELECT 1 FROM information_schema.columns AS p
                         WHERE p.table_schema = c.table_schema AND p.table_name = c.table_name AND p.column_name = 'project')
           GROUP BY c.table_name
           ORDER BY c.table_name`,
  });
  return rows;
}

/** Deletes every row of `project`, or of every project when undefined, in one statement; the counts by table. */
export async function deleteProjectData(database: Queryable, project: string | undefined): Promise<Record<string, number>> {
  const tables = await projectTables(database);
  if (tables.length === 0) return {};
  const deletes = tables.map(
    (table, i) => `d${i} AS (DELETE FROM ${quote(table.name)} WHERE $1::text IS NULL OR project = $1 RETURNING 1)`,
  );
  const counts = tables.map((table, i) => `(SELECT count(*) FROM d${i}) AS ${quote(table.name)}`);
  const [row] = await database.query<Record<string, number>>({ text: `WITH ${deletes.join(", ")} SELECT ${counts.join(", ")}` }, [project ?? null]);
  return row ?? {};
}

/** Every row of `project`, by table, in one statement; rows in a stable order so exports diff well. */
export async function readProjectData(database: Queryable, project: string): Promise<ProjectRows> {
  const tables = (await projectTables(database)).filter((table) => !TRANSIENT_TABLES.has(table.name));
  if (tables.length === 0) return {};
  const selects = tables.map((table) => {
    const columns = table.columns.map(quote).join(", ");
    return `(SELECT COALESCE(jsonb_agg(to_jsonb(r) ORDER BY r::text), '[]') FROM (SELECT ${columns} FROM ${quote(table.name)} WHERE project = $1) AS r) AS ${quote(table.name)}`;
  });
  const [row] = await database.query<ProjectRows>({ text: `SELECT ${selects.join(", ")}` }, [project]);
  return row ?? {};
}

export class ImportError extends Error {
  override name = "ImportError";
}

/**
 * Writes the rows of one project in one transaction: all of them or none.
 * With `replace`, the project's current rows go first; without, a row that
 * exists already fails the import. A column missing from the rows (an export
 * from before a migration) takes the column's default.
 */
export async function writeProjectData(
  database: Database,
  project: string,
  data: ProjectRows,
  options: { readonly replace: boolean },
): Promise<Record<string, number>> {
  return database.transaction(async (tx) => {
    const tables = new Map((await projectTables(tx)).map((table) => [table.name, table]));
    for (const [name, rows] of Object.entries(data)) {
      const table = TRANSIENT_TABLES.has(name) ? undefined : tables.get(name);
      if (table === undefined) throw new ImportError(`tables.${name}: no such table holds project data here`);
      rows.forEach((row, i) => {
        if (row.project !== project) throw new ImportError(`tables.${name}[${i}].project is ${JSON.stringify(row.project)}, not ${JSON.stringify(project)}`);
        for (const key of Object.keys(row)) {
          if (!table.columns.includes(key)) throw new ImportError(`tables.${name}[${i}].${key}: ${name} has no such column`);
        }
      });
    }
    if (options.replace) {
      for (const table of tables.values()) {
        await tx.query({ text: `DELETE FROM ${quote(table.name)} WHERE project = $1` }, [project]);
      }
    }
    const written: Record<string, number> = {};
    for (const [name, rows] of Object.entries(data)) {
      if (rows.length === 0) continue;
      const present = tables.get(name)!.columns.filter((column) => rows.some((row) => column in row));
      const columns = present.map(quote).join(", ");
      await tx
        .query({ text: `INSERT INTO ${quote(name)} (${columns}) SELECT ${columns} FROM jsonb_populate_recordset(NULL::${quote(name)}, $1::jsonb)` }, [
          JSON.stringify(rows),
        ])
        .catch((error: unknown) => {
          const { code, detail } = error as { code?: string; detail?: string };
          if (code === "23505") throw new ImportError(`tables.${name}: ${detail ?? "a row exists already"} (import with --replace to overwrite the project)`);
          throw error;
        });
      written[name] = rows.length;
    }
    return written;
  });
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}
