import {
  Conversation_ContextReference_ContextContent_ContentFormat as ContentFormat,
  Conversation_ContextReference_UpdateMode as UpdateMode,
  type Conversation_ContextReference,
} from "../gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { InvalidFieldError } from "./errors.js";
import { checkLanguageCode } from "./profile-fields.js";

// The rules IngestContextReferences applies to what it stores: the fields
// Google marks REQUIRED, and bounds that keep one conversation's row sane.

const MAX_REFERENCES = 100;
const MAX_KEY_LENGTH = 256;
const MAX_CONTENTS = 100;
const MAX_CONTENT_BYTES = 1_000_000;

export function checkContextReferences(references: Readonly<Record<string, Conversation_ContextReference>>): void {
  const keys = Object.keys(references);
  if (keys.length === 0) {
    throw new InvalidFieldError("context_references", "is required; give at least one context reference by key", "CONTEXT_REFERENCES_MISSING");
  }
  if (keys.length > MAX_REFERENCES) {
    throw new InvalidFieldError("context_references", `must hold at most ${MAX_REFERENCES} references (got ${keys.length})`, "CONTEXT_REFERENCES_TOO_MANY");
  }
  for (const key of keys) {
    const field = `context_references[${JSON.stringify(key.slice(0, 40))}]`;
    if (key === "" || key.length > MAX_KEY_LENGTH) {
      throw new InvalidFieldError("context_references", `keys must be 1-${MAX_KEY_LENGTH} characters`, "CONTEXT_REFERENCE_KEY_INVALID", { key: key.slice(0, 40) });
    }
    const reference = references[key]!;
    if (reference.updateMode !== UpdateMode.APPEND && reference.updateMode !== UpdateMode.OVERWRITE) {
      throw new InvalidFieldError(`${field}.update_mode`, "is required: APPEND or OVERWRITE", "CONTEXT_UPDATE_MODE_MISSING", { key });
    }
    if (reference.contextContents.length === 0 || reference.contextContents.length > MAX_CONTENTS) {
      throw new InvalidFieldError(`${field}.context_contents`, `is required: 1 to ${MAX_CONTENTS} contents`, "CONTEXT_CONTENTS_MISSING", { key });
    }
    reference.contextContents.forEach((content, index) => {
      const contentField = `${field}.context_contents[${index}]`;
      if (content.content === "" || Buffer.byteLength(content.content) > MAX_CONTENT_BYTES) {
        throw new InvalidFieldError(`${contentField}.content`, `is required, at most ${MAX_CONTENT_BYTES} bytes`, "CONTEXT_CONTENT_INVALID", { key });
      }
      if (content.contentFormat !== ContentFormat.JSON && content.contentFormat !== ContentFormat.PLAIN_TEXT) {
        throw new InvalidFieldError(`${contentField}.content_format`, "is required: JSON or PLAIN_TEXT", "CONTEXT_CONTENT_FORMAT_MISSING", { key });
      }
    });
    checkLanguageCode(reference.languageCode, `${field}.language_code`);
  }
}
