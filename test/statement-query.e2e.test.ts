import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// For the type parsers the store sets (int8 as a number): both sides read through them.
import "../src/store/postgres-database.js";
import type { Statement } from "../src/store/database.js";
import { queryRows } from "../src/store/statement-query.js";
import { createTestDatabase, type TestDatabase } from "./support/test-database.js";

// The store's statements run through statement-query.ts instead of pg's Query:
// the rows must be pg's, value for value, whatever the columns' types, and a
// failing statement must fail as pg's does and leave the connection usable.

const identity = (error: unknown) => error;

describe("statements run for their rows", () => {
  let testDatabase: TestDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    testDatabase = await createTestDatabase();
    pool = new pg.Pool({ connectionString: testDatabase.url, max: 1 });
    await pool.query(`CREATE TABLE kinds (id text PRIMARY KEY, n int4, big int8, ratio float8, exact numeric, flag bool, body jsonb, raw json,
      tags text[], counts int8[], at timestamptz, day date, span interval, bytes bytea, note text)`);
    await pool.query(`INSERT INTO kinds VALUES
      ('full', 7, 9007199254740991, 0.25, 12.5, true, '{"a":[1,{"b":null}]}', '[1, "two"]', '{x,"y z",NULL}', '{1,2}',
       '2026-12-03T06:00:00.123456Z', '2026-12-03', '1 day 02:00:00', '\\x00ff', 'é"\\'),
      ('empty', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
      ('blank', 0, 0, -0.5, 0, false, '{}', 'null', '{}', '{}', '1970-01-01T00:00:00Z', '0001-01-01', '0', '\\x', '')`);
  });
  afterAll(async () => {
    await pool.end();
    await testDatabase.dispose();
  });

  const selectAll: Statement = { name: "statement_query_select_all", text: "SELECT *, big * 2 AS doubled FROM kinds WHERE id = ANY($1) ORDER BY id" };

  it("answers the rows pg's own Query answers, for every type and for NULLs, named and unnamed", async () => {
    const ids = [["full", "empty", "blank"]];
    const expected = (await pool.query({ text: selectAll.text, values: ids })).rows;
    expect(expected).toHaveLength(3);
    for (const statement of [selectAll, { text: selectAll.text }]) {
      // Twice: the second time the statement is prepared on the connection and its row layout known.
      expect(await queryRows(pool, statement, ids, identity)).toEqual(expected);
      expect(await queryRows(pool, statement, ids, identity)).toEqual(expected);
    }
  });

  it("binds values as pg does: arrays, objects as JSON, numbers, NULL", async () => {
    const echo: Statement = { text: "SELECT $1::text[] AS list, $2::jsonb AS object, $3::int8 AS count, $4::text AS missing" };
    const values = [["a", "b,c", null], { nested: { list: [1, 2] } }, 42, null];
    expect(await queryRows(pool, echo, values, identity)).toEqual((await pool.query({ text: echo.text, values })).rows);
  });

  it("takes a changed row description: the columns a table gained since the last execution appear", async () => {
    await pool.query("CREATE TABLE growing (id int4)");
    await pool.query("INSERT INTO growing VALUES (1)");
    const all: Statement = { text: "SELECT * FROM growing" };
    expect(await queryRows(pool, all, [], identity)).toEqual([{ id: 1 }]);
    await pool.query("ALTER TABLE growing ADD COLUMN label text DEFAULT 'one', ALTER COLUMN id TYPE int8");
    expect(await queryRows(pool, all, [], identity)).toEqual([{ id: 1, label: "one" }]);
  });

  // On one client: pg's pool ends a client whose statement failed, a client of one's own keeps it.
  it("fails as pg fails, through the caller's mapping, and leaves the connection usable", async () => {
    const client = await pool.connect();
    try {
      const insert: Statement = { name: "statement_query_insert", text: "INSERT INTO kinds (id) VALUES ($1) RETURNING id" };
      expect(await queryRows(client, insert, ["fresh"], identity)).toEqual([{ id: "fresh" }]);
      const failure = await queryRows(client, insert, ["fresh"], (error) => ({ mapped: error })).catch((error: unknown) => error);
      expect(failure).toMatchObject({ mapped: { code: "23505", constraint: "kinds_pkey" } });
      expect((failure as { mapped: unknown }).mapped).toBeInstanceOf(pg.DatabaseError);
      expect(await queryRows(client, insert, ["fresher"], identity)).toEqual([{ id: "fresher" }]);
      await expect(queryRows(client, { text: "SELECT 1 / $1::int4 AS q" }, [0], identity)).rejects.toMatchObject({ code: "22012" });
      expect(await queryRows(client, { text: "SELECT 1 / $1::int4 AS q" }, [1], identity)).toEqual([{ q: 1 }]);
    } finally {
      client.release();
    }
  });

  it("refuses a value pg cannot send without running anything, and a name used for another text", async () => {
    const client = await pool.connect();
    try {
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      const insert: Statement = { text: "INSERT INTO kinds (id, body) VALUES ('cyclic', $1)" };
      await expect(queryRows(client, insert, [cyclic], identity)).rejects.toThrow(/circular/);
      expect(await queryRows(client, { text: "SELECT count(*)::int4 AS n FROM kinds WHERE id = 'cyclic'" }, [], identity)).toEqual([{ n: 0 }]);
      const named: Statement = { name: "statement_query_named", text: "SELECT 1 AS one" };
      expect(await queryRows(client, named, [], identity)).toEqual([{ one: 1 }]);
      await expect(queryRows(client, { name: named.name, text: "SELECT 2 AS one" }, [], identity)).rejects.toThrow(/Prepared statements must be unique/);
      expect(await queryRows(client, named, [], identity)).toEqual([{ one: 1 }]);
    } finally {
      client.release();
    }
  });

  it("answers a statement that returns no rows, and one that returns no columns", async () => {
    expect(await queryRows(pool, selectAll, [["nobody"]], identity)).toEqual([]);
    expect(await queryRows(pool, { text: "UPDATE kinds SET note = note WHERE id = $1" }, ["full"], identity)).toEqual([]);
  });
});
