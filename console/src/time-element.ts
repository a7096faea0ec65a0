import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { timestampText, type LocalTime } from "./display.js";
import { h } from "./elements.js";

export function timeCell(timestamp: Timestamp | undefined): Node | string {
  const text = timestampText(timestamp);
  return text === undefined ? "—" : timeElement(text);
}

/** Day and time of day kept whole, so a narrow column breaks between them and nowhere else. */
export function timeElement(time: LocalTime): HTMLTimeElement {
  return h("time", { datetime: time.iso, title: time.iso }, h("span", {}, time.day), " ", h("span", {}, time.clock));
}
