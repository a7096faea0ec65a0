import { isJsonObject } from "./field-behavior.js";
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";

// The suggestion features a profile configures (human_agent_assistant_config)
// need Agent Assist's models, which this service does not run. Google reports
// a feature that fails inside AnalyzeContent as an `error` in its
// SuggestionResult without failing the call; each configured feature gets
// such an error here, in the order of the profile's feature_configs.

/** google.rpc.Status of one failed feature. */
export interface FeatureFailure {
  readonly code: number;
  readonly message: string;
}

const UNIMPLEMENTED = 12;

/** Failures for the features of human_agent_suggestion_config and end_user_suggestion_config. */
export function suggestionFailures(assistantConfig: JsonObject | undefined): { humanAgent: FeatureFailure[]; endUser: FeatureFailure[] } {
  return {
    humanAgent: failuresOf(assistantConfig?.humanAgentSuggestionConfig),
    endUser: failuresOf(assistantConfig?.endUserSuggestionConfig),
  };
}

function failuresOf(suggestionConfig: JsonValue | undefined): FeatureFailure[] {
  if (!isJsonObject(suggestionConfig) || !Array.isArray(suggestionConfig.featureConfigs)) return [];
  return suggestionConfig.featureConfigs.map((feature) => {
    const config = isJsonObject(feature) ? feature : {};
    const suggestion = isJsonObject(config.suggestionFeature) ? config.suggestionFeature : {};
    const type = typeof suggestion.type === "string" ? suggestion.type : "TYPE_UNSPECIFIED";
    const modelConfig = isJsonObject(config.conversationModelConfig) ? config.conversationModelConfig : {};
    const model = typeof modelConfig.model === "string" && modelConfig.model !== "" ? ` (${modelConfig.model})` : "";
    return {
      code: UNIMPLEMENTED,
      message: `The ${type} suggestion feature needs its Agent Assist model${model}, and this service runs no model; the message was stored without suggestions`,
    };
  });
}
