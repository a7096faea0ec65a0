import type { DescField, DescMessage } from "@bufbuild/protobuf";
import type { FieldRow } from "./field-rows.js";

// A message's rows split for reading: its own values first (the summary),
// then one group per nested message, list or map, which the page shows
// collapsed. A profile snapshot alone is dozens of rows.

export interface FieldGroup {
  /** The top-level field's JSON name, e.g. "initialConversationProfile". */
  readonly field: string;
  readonly label: string;
  readonly rows: readonly FieldRow[];
  /** True when the field holds nothing: its only row says "not set". */
  readonly isUnset: boolean;
}

export interface GroupedRows {
  readonly summary: readonly FieldRow[];
  readonly groups: readonly FieldGroup[];
}

export interface GroupingOptions {
  /** Nested fields short enough to read in the summary (e.g. phoneNumber). */
  readonly inSummary?: readonly string[];
  /** Group headings by JSON name; other groups are titled from the field name. */
  readonly labels?: Readonly<Record<string, string>>;
}

export function groupFieldRows(schema: DescMessage, rows: readonly FieldRow[], options: GroupingOptions = {}): GroupedRows {
  const byField = new Map<string, FieldRow[]>();
  for (const row of rows) {
    const field = topLevelField(row.path);
    byField.set(field, [...(byField.get(field) ?? []), row]);
  }
  const summary: FieldRow[] = [];
  const groups: FieldGroup[] = [];
  for (const field of schema.fields) {
    const fieldRows = byField.get(field.jsonName) ?? [];
    if (fieldRows.length === 0) continue;
    if (readsInline(field) || options.inSummary?.includes(field.jsonName) === true) {
      summary.push(...fieldRows);
    } else {
      groups.push({
        field: field.jsonName,
        label: options.labels?.[field.jsonName] ?? sentenceCase(field.jsonName),
        rows: fieldRows,
        isUnset: fieldRows.length === 1 && fieldRows[0]?.kind === "unset",
      });
    }
  }
  return { summary, groups };
}

/** "initialConversationProfile.name" and "ingestedContextReferences[doc]" -> their top-level field. */
function topLevelField(path: string): string {
  const end = path.search(/[.[]/);
  return end === -1 ? path : path.slice(0, end);
}

/** Scalars, enums and well-known types (times, durations) are one row each. */
function readsInline(field: DescField): boolean {
  if (field.fieldKind === "scalar" || field.fieldKind === "enum") return true;
  return field.fieldKind === "message" && field.message.typeName.startsWith("google.protobuf.");
}

/** "ingestedContextReferences" -> "Ingested context references". */
function sentenceCase(jsonName: string): string {
  const words = jsonName.replace(/([A-Z])/g, " $1").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
