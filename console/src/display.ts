import { ConnectError, Code } from "@connectrpc/connect";
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";

// How values read on screen: local times, short IDs, status codes as gRPC names.

const LOCAL_DAY = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
const LOCAL_CLOCK = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });

export interface LocalTime {
  /** The day in the browser's locale and time zone, e.g. "25 Nov 2026". */
  readonly day: string;
  /** The time of day, e.g. "14:03:07". */
  readonly clock: string;
  /** The instant in UTC, for tooltips and datetime attributes. */
  readonly iso: string;
}

export function localTime(date: Date): LocalTime {
  return { day: LOCAL_DAY.format(date), clock: LOCAL_CLOCK.format(date), iso: date.toISOString() };
}

/** A timestamp as local time, or undefined when unset. */
export function timestampText(timestamp: Timestamp | undefined): LocalTime | undefined {
  return timestamp === undefined ? undefined : localTime(timestampDate(timestamp));
}

/** The last segment of a resource name: the ID people recognise. */
export function resourceId(name: string): string {
  return name.slice(name.lastIndexOf("/") + 1);
}

/** IN_PROGRESS -> "In progress", VIRTUAL_AGENT_STAGE -> "Virtual agent". */
export function enumLabel(name: string | undefined): string {
  if (name === undefined || name === "" || name.endsWith("_UNSPECIFIED")) return "—";
  const words = name.replace(/_STAGE$/, "").toLowerCase().replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The error as the service stated it: "NOT_FOUND: Conversation ... does not exist". */
export function errorText(error: unknown): string {
  const connectError = ConnectError.from(error);
  const codeName = (Code[connectError.code] ?? "Unknown").replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
  return `${codeName}: ${connectError.rawMessage}`;
}

/** A count from a capped List: "1000+" when there were more than the cap. */
export function countText(count: number, hasMore: boolean): string {
  return hasMore ? `${count}+` : String(count);
}
