import { readdir, readFile } from "node:fs/promises";
import type { Database } from "./database.js";

const MIGRATIONS_DIR = new URL("./migrations/", import.meta.url);

// Any fixed number works; it only has to be the same for every replica.
const MIGRATION_LOCK = 4_127_301;

/**
 * Applies the numbered .sql files not yet recorded in schema_migrations, in
 * one transaction under an advisory lock, so replicas starting together apply
 * each migration exactly once and none sees a half-made schema.
 */
export async function migrate(database: Database): Promise<string[]> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((file) => file.endsWith(".sql")).sort();
  return database.transaction(async (tx) => {
    await tx.query({ text: "SELECT pg_advisory_xact_lock($1)" }, [MIGRATION_LOCK]);
    await tx.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
    );
    const rows = await tx.query<{ version: string }>({ text: "SELECT version FROM schema_migrations" });
    const applied = new Set(rows.map((row) => row.version));
    const pending = files.filter((file) => !applied.has(file));
    for (const file of pending) {
      await tx.exec(await readFile(new URL(file, MIGRATIONS_DIR), "utf8"));
      await tx.query({ text: "INSERT INTO schema_migrations (version) VALUES ($1)" }, [file]);
    }
    return pending;
  });
}
