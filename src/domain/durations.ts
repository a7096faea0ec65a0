const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400 };

/** Parses "90s", "15m", "24h", "30d", "500ms" (or a bare number of seconds) into seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (match === null) throw new Error(`"${text}" is not a duration; use a number with a unit, such as 90s, 15m, 24h or 30d`);
  return Number(match[1]) * (UNITS[match[2] ?? "s"] ?? 1);
}
