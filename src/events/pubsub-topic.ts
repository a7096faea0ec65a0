// Profiles name a topic the way Google documents it,
// `projects/P/locations/L/topics/T`, or the way Pub/Sub spells it,
// `projects/P/topics/T`; Pub/Sub topics have no location, so both publish to
// the second.

const TOPIC = /^projects\/([^/]+)\/(?:locations\/[^/]+\/)?topics\/([^/]+)$/;

/** The Pub/Sub topic a profile's topic names, or undefined when it names none. */
export function pubsubTopicName(topic: string): string | undefined {
  const match = TOPIC.exec(topic);
  return match === null ? undefined : `projects/${match[1]}/topics/${match[2]}`;
}
