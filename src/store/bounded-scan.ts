import type { PageCursor } from "../domain/page-token.js";

// A filtered list page read by a scan whose work has a bound: at most `bound`
// rows of an index range are examined, newest first on (time, id), and the
// page holds the examined rows that match. When the scan reaches its bound
// before the page is full, the page ends early (AIP-158 allows short, even
// empty, pages) and the cursor points at the last examined row, so the next
// call resumes the scan there. No filter can make one call read more rows
// than the bound, whatever the table holds. Lists of any resource ordered
// newest first by a keyset use it.

export interface BoundedScan {
  /** The table scanned. */
  readonly table: string;
  /** The ordering columns: a timestamp and a unique ID (newest first, then ID descending). */
  readonly timeColumn: string;
  readonly idColumn: string;
  /**
   * Conditions (SQL over the table's columns) an index answers as a range: the
   * parent, the cursor, and whatever the filter lets the store narrow to. Only
   * rows in the range are read; every one read counts against the bound.
   */
  readonly range: readonly string[];
  /** Whether an examined row belongs on the page (SQL boolean over the table's columns). */
  readonly matches: string;
  /** What the statement returns for each row (SQL select list over the table's columns). */
  readonly columns: string;
  /** Placeholder of the most rows to examine. */
  readonly boundParam: string;
  /** Placeholder of the most matching rows to return (the page size + 1, to tell if more follow). */
  readonly limitParam: string;
}

/** What a bounded scan returns besides the columns asked for. */
export interface ScannedRow {
  /** Whether the row belongs on the page; only the last row examined is returned without matching. */
  readonly matches: boolean;
  /** Whether the row is the last the bound lets the scan examine: the next call resumes after it. */
  readonly bound_reached: boolean;
}

/**
 * One statement: the inner scan reads the range in order and stops at the
 * bound; the outer query keeps matches and, when the scan reached its bound,
 * the last examined row. Rows are produced as the outer LIMIT asks for them,
 * so a page that fills early examines no further.
 *
 * The outer query has no ORDER BY on purpose: rows leave the window in its
 * order, and without an outer sort Postgres plans the inner scan for the few
 * rows the LIMIT takes (an ordered index scan) instead of for all `bound` of
 * them, which on a parent of about `bound` rows is a sequential scan of the
 * whole table and a sort.
 */
export function boundedScanText(scan: BoundedScan): string {
  const order = `${scan.timeColumn} DESC, ${scan.idColumn} DESC`;
  return `SELECT ${scan.columns}, matches, examined = ${scan.boundParam} AS bound_reached FROM (
  SELECT ${scan.table}.*, ${scan.matches} AS matches, row_number() OVER (ORDER BY ${order}) AS examined
  FROM (SELECT * FROM ${scan.table} WHERE ${scan.range.join(" AND ")} ORDER BY ${order} LIMIT ${scan.boundParam}) AS ${scan.table}
) AS ${scan.table}
WHERE matches OR examined = ${scan.boundParam}
LIMIT ${scan.limitParam}`;
}

export interface ScannedPage<Row> {
  readonly rows: Row[];
  /** Where the next page starts, or undefined when this page is the last. */
  readonly next: PageCursor | undefined;
}

/**
 * The page a bounded scan's rows make, asked for with `limit` + 1 matches:
 * a full page continues after its last row; a short page that reached the
 * bound continues after the last row examined.
 */
export function pageOfScan<Row extends ScannedRow>(rows: readonly Row[], limit: number, cursorOf: (row: Row) => PageCursor): ScannedPage<Row> {
  const matching = rows.filter((row) => row.matches);
  if (matching.length > limit) {
    const page = matching.slice(0, limit);
    return { rows: page, next: cursorOf(page[page.length - 1]!) };
  }
  const last = rows[rows.length - 1];
  return { rows: matching, next: last?.bound_reached === true ? cursorOf(last) : undefined };
}
