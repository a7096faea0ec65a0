import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { InvalidFieldError } from "./errors.js";
import { isOutputOnly } from "./field-behavior.js";

// Update masks (AIP-134) checked against the message descriptor: any field
// Google defines can be named, "*" names them all, and output-only paths are
// ignored (AIP-203). Pure: the store applies the result to the stored JSON.

export interface ResolvedMask {
  /** Paths to copy from the request, as proto3 JSON names ("automatedAgentConfig.agent"). */
  readonly jsonPaths: readonly string[];
  /** The same paths in proto names ("automated_agent_config.agent"), for validation. */
  readonly protoPaths: readonly string[];
}

export interface MaskOptions {
  /** The request field the mask came from, named in errors. */
  readonly field: string;
  /** Top-level fields that identify the resource and are never written (e.g. "name"). */
  readonly identifiers: readonly string[];
}

export function resolveUpdateMask(desc: DescMessage, paths: readonly string[], options: MaskOptions): ResolvedMask {
  if (paths.length === 0) {
    throw new InvalidFieldError(options.field, `is required; list the fields to change, or "*" for all of them`, "UPDATE_MASK_MISSING");
  }
  const settable = (field: DescField) => !isOutputOnly(field) && !options.identifiers.includes(field.name);
  const chains: DescField[][] = [];
  for (const path of paths) {
    if (path === "*") {
      chains.push(...desc.fields.filter(settable).map((field) => [field]));
      continue;
    }
    const chain = resolvePath(desc, path, options.field);
    // Output-only fields and identifiers anywhere on the path are ignored, not refused.
    if (chain.every(settable)) chains.push(chain);
  }
  const unique = new Map(chains.map((chain) => [chain.map((field) => field.name).join("."), chain]));
  return {
    protoPaths: [...unique.keys()],
    jsonPaths: [...unique.values()].map((chain) => chain.map((field) => field.jsonName).join(".")),
  };
}

/** True when the mask writes `protoPath` itself, a field inside it, or a message that contains it. */
export function touches(mask: ResolvedMask, protoPath: string): boolean {
  return mask.protoPaths.some((path) => path === protoPath || path.startsWith(`${protoPath}.`) || protoPath.startsWith(`${path}.`));
}

function resolvePath(desc: DescMessage, path: string, maskField: string): DescField[] {
  const chain: DescField[] = [];
  let message: DescMessage | undefined = desc;
  for (const segment of path.split(".")) {
    // gRPC clients send proto names; REST clients send the JSON (camelCase) names.
    const field: DescField | undefined = message?.fields.find((each) => each.name === segment || each.jsonName === segment);
    if (message === undefined || field === undefined) {
      throw new InvalidFieldError(
        maskField,
        `"${abbreviate(path)}" names no field of ${desc.name}${message === undefined ? "" : ` (no "${abbreviate(segment)}" in ${message.name})`}`,
        "UPDATE_MASK_UNKNOWN_PATH",
        { path: abbreviate(path) },
      );
    }
    chain.push(field);
    message = field.fieldKind === "message" && !field.message.typeName.startsWith("google.protobuf.") ? field.message : undefined;
    if (message === undefined && chain.length < path.split(".").length) {
      throw new InvalidFieldError(
        maskField,
        `"${abbreviate(path)}" goes inside ${field.name}, which is not a message field; name ${field.name} itself`,
        "UPDATE_MASK_UNKNOWN_PATH",
        { path: abbreviate(path) },
      );
    }
  }
  return chain;
}

function abbreviate(value: string): string {
  return value.length <= 80 ? value : `${value.slice(0, 77)}...`;
}
