// The SQL that writes conversation events into the outbox (migration 009).
// Each is a data-modifying CTE added to the statement making the change, so
// the event commits with it and costs no round trip of its own.

/** ConversationEvent.Type numbers (conversation_event.proto). */
export const EVENT_CONVERSATION_STARTED = 1;
export const EVENT_CONVERSATION_FINISHED = 2;
export const EVENT_NEW_MESSAGE = 5;

/** The profile field (proto3 JSON name) whose NotificationConfig says where an event type goes. */
export function notificationConfigField(eventType: number): string {
  return eventType === EVENT_NEW_MESSAGE ? "newMessageEventNotificationConfig" : "notificationConfig";
}

export interface EventSource {
  /** The FROM clause: one row per event. */
  readonly from: string;
  /** The conversation's key, as SQL expressions over `from`. */
  readonly project: string;
  readonly location: string;
  readonly conversationId: string;
  /** The NotificationConfig JSON for this event type (from the profile snapshot, see notificationConfigField). */
  readonly config: string;
  /** NEW_MESSAGE: the stored message as jsonb, with message-row.ts's columns. */
  readonly message?: string;
  /** Where one statement writes several events of a conversation: their order (the outbox's ids follow it). */
  readonly orderBy?: string;
}

/** The column of a statement's rows that says how many events it wrote (see outbox-writes.ts). */
export const EVENTS_WRITTEN = "events_written";

/** The select-list item that gives EVENTS_WRITTEN: the rows `cte` (an insertEvents CTE) returned. Its statement is marked `writesEvents`. */
export function eventsWrittenBy(cte: string): string {
  return `(SELECT count(*) FROM ${cte})::int AS ${EVENTS_WRITTEN}`;
}

/**
 * An INSERT of one `eventType` event per row of the source whose profile
 * names a topic for it; rows of profiles without one write nothing. It
 * returns a row per event, which eventsWrittenBy counts.
 */
export function insertEvents(eventType: number, source: EventSource): string {
  const { config } = source;
  return `INSERT INTO event_outbox (project, location, conversation_id, event_type, topic, message_format, message)
  SELECT ${source.project}, ${source.location}, ${source.conversationId}, ${eventType}, ${config} ->> 'topic',
    COALESCE(${config} ->> 'messageFormat', ''), ${source.message ?? "NULL"}
  FROM ${source.from}
  WHERE COALESCE(${config} ->> 'topic', '') <> ''${source.orderBy === undefined ? "" : `
  ORDER BY ${source.orderBy}`}
  RETURNING 1`;
}

/** insertEvents over the rows a CTE returned whole from `conversations` (RETURNING *). */
export function insertConversationEvents(eventType: number, cte: string): string {
  return insertEvents(eventType, {
    from: cte,
    project: `${cte}.project`,
    location: `${cte}.location`,
    conversationId: `${cte}.id`,
    config: `${cte}.initial_profile -> '${notificationConfigField(eventType)}'`,
  });
}
