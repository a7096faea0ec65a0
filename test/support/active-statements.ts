import type pg from "pg";

/**
 * Waits up to 2 s for this database to have no active statement whose text is LIKE
 * `pattern` (other than the caller's own) and returns how many are left: a
 * cancelled statement takes a moment to leave pg_stat_activity.
 */
export async function activeStatementsAfterCancel(client: pg.Client, pattern: string): Promise<number> {
  let active = 1;
  for (let attempt = 0; attempt < 20 && active > 0; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const { rows } = await client.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE $1 AND state = 'active' AND pid <> pg_backend_pid()",
      [pattern],
    );
    active = rows[0]?.n ?? 0;
  }
  return active;
}
