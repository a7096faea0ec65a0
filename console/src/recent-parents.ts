// Parents opened before, newest first, offered in the parent picker.

const KEY = "console.recentParents";
const KEEP = 8;

export function recentParents(): string[] {
  try {
    const stored: unknown = JSON.parse(localStorage.getItem(KEY) ?? "[]");
    return Array.isArray(stored) ? stored.filter((item): item is string => typeof item === "string") : [];
  } catch {
    return [];
  }
}

export function rememberParent(parent: string): void {
  const list = [parent, ...recentParents().filter((item) => item !== parent)].slice(0, KEEP);
  try {
    localStorage.setItem(KEY, JSON.stringify(list));
  } catch {
    // Storage may be off (private windows); the picker then only offers what is typed.
  }
}
