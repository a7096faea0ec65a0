import { getOption, hasOption, type DescField, type DescMessage, type DescMethod, type Message } from "@bufbuild/protobuf";
import { http } from "../gen/google/api/annotations_pb.js";
import { resource_reference } from "../gen/google/api/resource_pb.js";

// The projects a call touches, read from the request's resource names. Which
// fields name the resource comes from the method's google.api.http rule: its
// path variables ({parent=projects/*}, {conversation_profile.name=...}) are
// exactly the resource the call acts on, so a new method is covered the moment
// it is served, without code of its own here. A method without a rule (the
// streaming ones) names its resource in top-level fields called name or
// parent, or marked with google.api.resource_reference
// (StreamingAnalyzeContentRequest.participant).

/** What the request's resource fields say. */
export interface ResourceProjects {
  /** The project of every resource field that names one, deduplicated. */
  readonly projects: readonly string[];
  /** False when the method has no resource field at all: only a token for every project may call it. */
  readonly hasResourceFields: boolean;
}

const PATH_VARIABLE = /\{([a-zA-Z_][a-zA-Z0-9_.]*)/g;
const PROJECT_OF_NAME = /^projects\/([^/]+)(?:\/|$)/;
const fieldsByMethod = new WeakMap<DescMethod, readonly (readonly DescField[])[]>();

/**
 * The projects named by a request of `method`. A field that is empty or does
 * not start with projects/{project} names none: the handler refuses such a
 * name as INVALID_ARGUMENT before anything is read or written.
 */
export function readResourceProjects(method: DescMethod, message: Message): ResourceProjects {
  const fieldPaths = resourceFieldPaths(method);
  const projects = new Set<string>();
  for (const path of fieldPaths) {
    for (const value of readStrings(message, path)) {
      const project = PROJECT_OF_NAME.exec(value)?.[1];
      if (project !== undefined) projects.add(project);
    }
  }
  return { projects: [...projects], hasResourceFields: fieldPaths.length > 0 };
}

/** The request fields that name the resource, as descriptor paths: from the http rule, else top-level name, parent and resource references. */
export function resourceFieldPaths(method: DescMethod): readonly (readonly DescField[])[] {
  const known = fieldsByMethod.get(method);
  if (known !== undefined) return known;
  const names = new Set<string>();
  if (hasOption(method, http)) {
    const rule = getOption(method, http);
    for (const each of [rule, ...rule.additionalBindings]) {
      const template = each.pattern.case === "custom" ? each.pattern.value.path : (each.pattern.value ?? "");
      for (const match of template.matchAll(PATH_VARIABLE)) names.add(match[1] ?? "");
    }
  } else {
    for (const field of method.input.fields) {
      const namesResource = field.name === "name" || field.name === "parent" || hasOption(field, resource_reference);
      if (namesResource && field.fieldKind === "scalar") names.add(field.name);
    }
  }
  const paths = [...names].flatMap((name) => {
    const path = resolveFieldPath(method.input, name);
    return path === undefined ? [] : [path];
  });
  fieldsByMethod.set(method, paths);
  return paths;
}

// "conversation_profile.name" -> the descriptors along the way; undefined if the request has no such field.
function resolveFieldPath(root: DescMessage, dotted: string): DescField[] | undefined {
  const path: DescField[] = [];
  let message: DescMessage | undefined = root;
  for (const segment of dotted.split(".")) {
    const field: DescField | undefined = message?.fields.find((each) => each.name === segment);
    if (field === undefined) return undefined;
    path.push(field);
    message = field.fieldKind === "message" ? field.message : undefined;
  }
  return path;
}

function readStrings(message: Message, path: readonly DescField[]): string[] {
  let value: unknown = message;
  for (const field of path) {
    if (typeof value !== "object" || value === null) return [];
    const holder = value as Record<string, unknown>;
    if (field.oneof === undefined) {
      value = holder[field.localName];
    } else {
      // A oneof member lives under the oneof as {case, value}.
      const chosen = holder[field.oneof.localName] as { case?: string; value?: unknown } | undefined;
      value = chosen?.case === field.localName ? chosen.value : undefined;
    }
  }
  if (typeof value === "string") return value === "" ? [] : [value];
  if (Array.isArray(value)) return value.filter((each): each is string => typeof each === "string" && each !== "");
  return [];
}
