// Copies text for the person: the asynchronous clipboard API where the page
// may use it, else a selected text area and execCommand("copy") (older or
// stricter browsers, pages not in a secure context); "manual" when neither
// worked, so the caller can show the text to copy by hand.

export type CopyOutcome = "copied" | "manual";

export async function copyText(text: string): Promise<CopyOutcome> {
  try {
    if (navigator.clipboard !== undefined) {
      await navigator.clipboard.writeText(text);
      return "copied";
    }
  } catch {
    // Refused (no permission, no user activation): the fallback may still work.
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  const focused = document.activeElement instanceof HTMLElement ? document.activeElement : undefined;
  document.body.append(area);
  area.select();
  let copied = false;
  try {
    copied = document.execCommand("copy");
  } catch {
    copied = false;
  }
  area.remove();
  focused?.focus();
  return copied ? "copied" : "manual";
}
