import { toJson, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { localTime } from "./display.js";
import { fill, h, type Child } from "./elements.js";
import { fieldRows, type FieldRow } from "./field-rows.js";
import { timeElement } from "./time-element.js";

// One conversation or profile with every field of its message, and the
// actions that apply to it.

export interface DetailAction {
  readonly label: string;
  readonly id: string;
  readonly primary?: boolean;
  readonly disabled?: boolean;
  run(): void;
}

export function showDetail<Desc extends DescMessage>(
  panel: HTMLElement,
  heading: string,
  schema: Desc,
  message: MessageShape<Desc>,
  actions: readonly DetailAction[],
  close: () => void,
  takeFocus = false,
): void {
  const json = toJson(schema, message, { alwaysEmitImplicit: true });
  const rows = json !== null && typeof json === "object" && !Array.isArray(json) ? fieldRows(schema, json) : [];
  const keepFocus = document.activeElement instanceof HTMLElement && panel.contains(document.activeElement) ? document.activeElement.id : "";
  fill(
    panel,
    h("div", { class: "detail-head" },
      h("h2", { id: "detail-heading", tabindex: -1 }, heading),
      h("button", { type: "button", id: "detail-close", "aria-label": "Close details", onclick: close }, "Close"),
    ),
    actions.length > 0 &&
      h("div", { class: "actions" }, ...actions.map((action) =>
        h("button", { type: "button", id: action.id, class: action.primary === true ? "primary" : undefined, disabled: action.disabled === true, onclick: () => action.run() }, action.label),
      )),
    h("dl", { class: "fields" }, ...rows.flatMap((row) => [h("dt", {}, row.path), h("dd", { "data-field": row.path }, valueOf(row))])),
  );
  panel.hidden = false;
  // Opening moves focus to the panel (below the list on phones); refreshing leaves it where it was.
  if (takeFocus) document.getElementById("detail-heading")?.focus();
  else if (keepFocus !== "") document.getElementById(keepFocus)?.focus();
}

function valueOf(row: FieldRow): Child {
  switch (row.kind) {
    case "unset":
      return h("span", { class: "unset" }, "not set");
    case "time":
      return timeElement(localTime(new Date(row.iso)));
    case "text":
      return row.text === "" ? h("span", { class: "unset" }, "empty") : row.text;
  }
}
