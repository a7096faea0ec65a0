import type { Database, Queryable } from "../store/database.js";
import { ImportError, readProjectData, writeProjectData, type ProjectRows } from "../store/project-data.js";

// A project's data as a file: what `cli.js export` writes and `cli.js import`
// reads, and what the emulator's project-data route sends and takes, so a file
// from one loads through the other.

const FORMAT = "dialogflow-conversations/project-export";

export interface ProjectExport {
  readonly format: typeof FORMAT;
  /** The last migration of the database it came from. */
  readonly schema: string;
  readonly project: string;
  readonly exportedAt: string;
  readonly tables: ProjectRows;
}

export async function exportProject(database: Queryable, project: string): Promise<ProjectExport> {
  return { format: FORMAT, schema: await schemaVersion(database), project, exportedAt: new Date().toISOString(), tables: await readProjectData(database, project) };
}

/** Loads an export's text in one transaction; ImportError names what is wrong with it. Resolves with the rows written per table. */
export async function importProject(
  database: Database,
  text: string,
  options: { readonly replace: boolean; /** Refuse a file of any other project (a caller allowed only this one). */ readonly project?: string },
): Promise<{ project: string; written: Record<string, number> }> {
  const data = parseExport(text, await schemaVersion(database));
  if (options.project !== undefined && data.project !== options.project) throw new ImportError(`the file holds project ${data.project}, not ${options.project}`);
  return { project: data.project, written: await writeProjectData(database, data.project, data.tables, options) };
}

/** "12 conversations, 3 conversation_profiles": rows per table, as the CLI and the console tell them. */
export function countRows(counts: Record<string, number>): string {
  return Object.entries(counts).map(([table, count]) => `${count} ${table}`).join(", ") || "nothing";
}

async function schemaVersion(database: Queryable): Promise<string> {
  const [{ version } = { version: "" }] = await database.query<{ version: string }>({ text: "SELECT version FROM schema_migrations ORDER BY version DESC LIMIT 1" });
  return version;
}

function parseExport(text: string, schema: string): ProjectExport {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ImportError(`not JSON: ${(error as Error).message}`);
  }
  const data = value as Partial<ProjectExport> | null;
  if (data?.format !== FORMAT) throw new ImportError(`format must be "${FORMAT}" (a file written by export)`);
  if (typeof data.project !== "string" || data.project === "") throw new ImportError("project must name the project");
  if (typeof data.tables !== "object" || data.tables === null) throw new ImportError("tables must be an object of rows by table");
  for (const [name, rows] of Object.entries(data.tables)) {
    if (!Array.isArray(rows)) throw new ImportError(`tables.${name} must be an array of rows`);
  }
  if (typeof data.schema === "string" && data.schema > schema) {
    throw new ImportError(`exported from a newer schema (${data.schema}) than this database has (${schema}): update the service first`);
  }
  return data as ProjectExport;
}
