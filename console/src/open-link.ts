import { h } from "./elements.js";

/** Where a resource's link points, and what opening it in place does. */
export interface OpenLinkActions {
  linkTo(id: string): string;
  open(id: string): void;
}

/**
 * A real link (so a new tab, copy and middle-click still work) that opens the
 * resource in place on a plain click.
 */
export function openLink(id: string, label: string, actions: OpenLinkActions): HTMLAnchorElement {
  return h("a", {
    href: actions.linkTo(id),
    "data-id": id,
    onclick: (event) => {
      const mouse = event as MouseEvent;
      if (mouse.ctrlKey || mouse.metaKey || mouse.shiftKey || mouse.button !== 0) return;
      event.preventDefault();
      actions.open(id);
    },
  }, label);
}
