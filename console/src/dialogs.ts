import { byId, fill, h, type Child } from "./elements.js";

// Modal questions as <dialog>: focus is trapped and Escape cancels, in
// Chromium and Firefox alike. The primary action is the form's only submit
// button, so Enter in a field submits it (implicit submission picks the first
// submit button); the other actions are plain buttons that close the dialog.

/** Shows a modal dialog and resolves with the button value it closed with ("" on Escape). */
export function showDialog(title: string, body: readonly Child[], actions: readonly { label: string; value: string; primary?: boolean }[]): Promise<string> {
  const dialog = byId<HTMLDialogElement>("dialog");
  const heading = h("h2", { id: "dialog-title" }, title);
  const form = h(
    "form",
    { method: "dialog" },
    heading,
    ...body,
    h(
      "div",
      { class: "actions" },
      ...actions.map((action) =>
        action.primary === true
          ? h("button", { value: action.value, class: "primary" }, action.label)
          : h("button", { type: "button", value: action.value, onclick: () => dialog.close(action.value) }, action.label),
      ),
    ),
  );
  fill(dialog, form);
  dialog.setAttribute("aria-labelledby", "dialog-title");
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue), { once: true }));
}

export async function confirmAction(title: string, message: string, confirmLabel: string): Promise<boolean> {
  return (await showDialog(title, [h("p", {}, message)], [
    { label: "Cancel", value: "cancel" },
    { label: confirmLabel, value: "confirm", primary: true },
  ])) === "confirm";
}

export async function askForToken(reason: string): Promise<string | undefined> {
  const input = h("input", { type: "password", name: "token", id: "token-input", autocomplete: "off", required: true });
  const answer = await showDialog(
    "Token required",
    [h("p", {}, `The service asks for a token: ${reason}`), h("label", { for: "token-input" }, "Bearer token"), input],
    [
      { label: "Cancel", value: "cancel" },
      { label: "Use token", value: "ok", primary: true },
    ],
  );
  return answer === "ok" && input.value !== "" ? input.value : undefined;
}

/** Shows text to copy by hand, selected, in a read-only area. */
export async function showText(title: string, message: string, text: string): Promise<void> {
  const area = h("textarea", { id: "dialog-text", readonly: true, rows: 14, cols: 60, spellcheck: "false", "aria-label": title });
  area.value = text;
  const closed = showDialog(title, [h("p", {}, message), area], [{ label: "Close", value: "close", primary: true }]);
  area.select();
  await closed;
}
