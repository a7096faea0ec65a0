import type { DescMethod, DescService, Message } from "@bufbuild/protobuf";
import { checkRequestValues } from "../domain/request-values.js";

// grpc-js, connect-node, the Connect fast path and REST all call the same
// implementation objects, so a check made there is made once for every
// protocol: after the caller is authorized, before the service reads or
// stores anything. A violation is an InvalidFieldError, which each transport's
// error mapping turns into INVALID_ARGUMENT naming the field.

type MethodFunction = (input: unknown, context: unknown) => unknown;

/**
 * The implementation's methods, each refusing a request with a value that
 * cannot be stored or encoded (see request-values.ts) before it runs.
 */
export function withRequestValuesChecked(service: DescService, implementation: object): object {
  const checked: Record<string, MethodFunction> = {};
  for (const method of service.methods) {
    const found = (implementation as Record<string, unknown>)[method.localName];
    if (typeof found === "function") checked[method.localName] = checkedMethod(method, found.bind(implementation) as MethodFunction);
  }
  return checked;
}

function checkedMethod(method: DescMethod, impl: MethodFunction): MethodFunction {
  switch (method.methodKind) {
    case "unary":
      return (input, context) => {
        checkRequestValues(method.input, input as Message);
        return impl(input, context);
      };
    case "server_streaming":
      return async function* (input, context) {
        checkRequestValues(method.input, input as Message);
        yield* impl(input, context) as AsyncIterable<unknown>;
      };
    case "client_streaming":
    case "bidi_streaming":
      return (input, context) => impl(checkEach(method, input as AsyncIterable<Message>), context);
  }
}

async function* checkEach(method: DescMethod, messages: AsyncIterable<Message>): AsyncIterable<Message> {
  for await (const message of messages) {
    checkRequestValues(method.input, message);
    yield message;
  }
}
