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

/** A length of time as people read it: "42 s", "3 min 05 s", "2 h 03 min", "3 d 4 h". */
export function durationText(milliseconds: number): string {
  const seconds = Math.max(0, Math.floor(milliseconds / 1000));
  const [d, h, m, s] = [Math.floor(seconds / 86_400), Math.floor(seconds / 3600) % 24, Math.floor(seconds / 60) % 60, seconds % 60];
  const two = (n: number) => String(n).padStart(2, "0");
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${two(m)} min`;
  if (m > 0) return `${m} min ${two(s)} s`;
  return `${s} s`;
}
