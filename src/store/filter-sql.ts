import type { Comparator, FilterExpr, FilterField, FilterValue } from "../domain/filter.js";

/** Maps each filterable field to the SQL expression that holds it. */
export type FilterColumns = Record<FilterField, string>;

const SQL_OPERATORS: Readonly<Record<Comparator, string>> = { "=": "=", "!=": "<>", "<": "<", ">": ">", "<=": "<=", ">=": ">=" };

/**
 * Appends the filter's values to `params` and returns a SQL boolean expression
 * using $n placeholders numbered after the params already present. Only the
 * column expressions and fixed keywords enter the SQL text, never a value.
 */
export function compileFilter(expr: FilterExpr, columns: FilterColumns, params: unknown[]): string {
  switch (expr.kind) {
    case "and":
    case "or": {
      // Left first, so placeholders number in reading order.
      const left = compileFilter(expr.left, columns, params);
      const right = compileFilter(expr.right, columns, params);
      return `(${left} ${expr.kind === "and" ? "AND" : "OR"} ${right})`;
    }
    case "not":
      // A comparison with a NULL end_time (a running conversation) is NULL, and
      // so is its NOT: `NOT end_time > X` means "has ended, and not after X".
      return `(NOT ${compileFilter(expr.operand, columns, params)})`;
    case "compare":
      // Plain <> for !=: a running conversation matches no end_time comparison.
      return `(${columns[expr.field]} ${SQL_OPERATORS[expr.op]} ${bindValue(expr.value, params)})`;
  }
}

/** Pushes the value and returns its placeholder, cast where the text form needs a type. */
function bindValue(value: FilterValue, params: unknown[]): string {
  params.push(value.value);
  return value.kind === "timestamp" ? `$${params.length}::timestamptz` : `$${params.length}`;
}
