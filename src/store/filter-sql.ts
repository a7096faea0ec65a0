import type { Comparator, FilterExpr, FilterField } from "../domain/filter.js";

/** Maps each filterable field to the SQL expression that holds it. */
export type FilterColumns = Readonly<Record<FilterField, string>>;

const SQL_OPERATORS: Readonly<Record<Comparator, string>> = { "=": "=", "!=": "<>", "<": "<", ">": ">", "<=": "<=", ">=": ">=" };

/**
 * Appends the filter's values to `params` and returns a boolean SQL
 * expression over `columns` that refers to them as $n. Values never enter the
 * SQL text. A comparison with a NULL column (the end_time of a running
 * conversation) is not true, and neither is its NOT: "NOT end_time > X" means
 * "has ended, and not after X".
 */
export function compileFilter(expr: FilterExpr, columns: FilterColumns, params: unknown[]): string {
  switch (expr.kind) {
    case "and":
      return `(${compileFilter(expr.left, columns, params)} AND ${compileFilter(expr.right, columns, params)})`;
    case "or":
      return `(${compileFilter(expr.left, columns, params)} OR ${compileFilter(expr.right, columns, params)})`;
    case "not":
      return `(NOT ${compileFilter(expr.operand, columns, params)})`;
    case "compare": {
      params.push(expr.value.value);
      const placeholder = expr.value.kind === "timestamp" ? `$${params.length}::timestamptz` : expr.value.kind === "enum" ? `$${params.length}::int` : `$${params.length}::text`;
      return `(${columns[expr.field]} ${SQL_OPERATORS[expr.op]} ${placeholder})`;
    }
  }
}
