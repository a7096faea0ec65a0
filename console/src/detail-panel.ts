import { toJson, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { localTime } from "./display.js";
import { fill, h, type Child } from "./elements.js";
import { groupFieldRows, type FieldGroup, type GroupingOptions } from "./field-groups.js";
import { fieldRows, type FieldRow } from "./field-rows.js";
import { timeElement } from "./time-element.js";

// One conversation or profile: a summary of its own values, each nested
// setting collapsed under its name, the actions that apply to it, and
// optionally more (a conversation's transcript). Refreshing redraws only what
// changed, so an opened group, the focus and text typed below stay as they are.

export interface DetailAction {
  readonly label: string;
  readonly id: string;
  readonly primary?: boolean;
  readonly disabled?: boolean;
  run(): void;
}

/** A line above the fields that reads better than any one field (a profile's display name, a duration). */
export interface DetailFact {
  readonly id: string;
  readonly label: string;
  readonly value: string;
}

export interface DetailContent<Desc extends DescMessage> {
  readonly heading: string;
  readonly facts?: readonly DetailFact[];
  readonly schema: Desc;
  readonly message: MessageShape<Desc>;
  readonly actions: readonly DetailAction[];
  readonly grouping?: GroupingOptions;
  /** Shown below the fields and kept as is across refreshes (moved only when it is another node). */
  readonly extra?: Node;
}

interface PanelSlots {
  readonly head: HTMLElement;
  /** What the last action did; kept across refreshes, cleared when another item opens. */
  readonly status: HTMLElement;
  heading: string;
  readonly fields: HTMLElement;
  readonly extra: HTMLElement;
  fieldsKey: string;
}

const slotsOf = new WeakMap<HTMLElement, PanelSlots>();

export function showDetail<Desc extends DescMessage>(panel: HTMLElement, content: DetailContent<Desc>, close: () => void, takeFocus = false): void {
  const slots = panelSlots(panel);
  const keepFocus = document.activeElement instanceof HTMLElement && panel.contains(document.activeElement) ? document.activeElement.id : "";
  fill(
    slots.head,
    h("div", { class: "detail-head" },
      h("h2", { id: "detail-heading", tabindex: -1 }, content.heading),
      h("button", { type: "button", id: "detail-close", "aria-label": "Close details", onclick: close }, "Close"),
    ),
    content.actions.length > 0 &&
      h("div", { class: "actions" }, ...content.actions.map((action) =>
        h("button", { type: "button", id: action.id, class: action.primary === true ? "primary" : undefined, disabled: action.disabled === true, onclick: () => action.run() }, action.label),
      )),
    content.facts !== undefined && content.facts.length > 0 &&
      h("dl", { class: "facts" }, ...content.facts.flatMap((fact) => [h("dt", {}, fact.label), h("dd", { id: fact.id }, fact.value)])),
  );
  if (content.heading !== slots.heading) {
    slots.heading = content.heading;
    slots.status.textContent = "";
  }
  const json = toJson(content.schema, content.message, { alwaysEmitImplicit: true });
  const fieldsKey = `${content.schema.typeName} ${JSON.stringify(json)}`;
  if (fieldsKey !== slots.fieldsKey) {
    slots.fieldsKey = fieldsKey;
    const rows = json !== null && typeof json === "object" && !Array.isArray(json) ? fieldRows(content.schema, json) : [];
    const opened = new Set([...slots.fields.querySelectorAll<HTMLDetailsElement>("details[open]")].map((details) => details.dataset.group));
    const { summary, groups } = groupFieldRows(content.schema, rows, content.grouping);
    fill(slots.fields, fieldList(summary), ...groups.map((group) => groupElement(group, opened.has(group.field))));
  }
  const extra = content.extra;
  if (extra === undefined) fill(slots.extra);
  else if (slots.extra.firstChild !== extra || slots.extra.childNodes.length !== 1) fill(slots.extra, extra);
  panel.hidden = false;
  // Opening moves focus to the panel (below the list on phones); refreshing leaves it where it was.
  if (takeFocus) document.getElementById("detail-heading")?.focus();
  else if (keepFocus !== "" && document.activeElement?.id !== keepFocus) document.getElementById(keepFocus)?.focus();
}

/** Says in the panel what an action did (a screen reader hears it: the line is a status region). */
export function showDetailStatus(panel: HTMLElement, text: string): void {
  panelSlots(panel).status.textContent = text;
}

function panelSlots(panel: HTMLElement): PanelSlots {
  const known = slotsOf.get(panel);
  if (known !== undefined) return known;
  const slots: PanelSlots = {
    head: h("div"),
    status: h("p", { id: "detail-status", class: "hint", role: "status" }),
    heading: "",
    fields: h("div", { class: "detail-fields" }),
    extra: h("div"),
    fieldsKey: "",
  };
  fill(panel, slots.head, slots.status, slots.fields, slots.extra);
  slotsOf.set(panel, slots);
  return slots;
}

function fieldList(rows: readonly FieldRow[]): HTMLElement {
  return h("dl", { class: "fields" }, ...rows.flatMap((row) => [h("dt", {}, row.path), h("dd", { "data-field": row.path }, valueOf(row))]));
}

/** A nested setting, collapsed: its name and size first, every row on opening. */
function groupElement(group: FieldGroup, open: boolean): HTMLElement {
  const size = group.isUnset ? "not set" : `${group.rows.length} ${group.rows.length === 1 ? "field" : "fields"}`;
  return h("details", { class: "field-group", "data-group": group.field, open },
    h("summary", { id: `group-${group.field}` }, group.label, " ", h("span", { class: "hint" }, `(${size})`)),
    fieldList(group.rows),
  );
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
