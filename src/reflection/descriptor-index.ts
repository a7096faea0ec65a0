import { createRegistry, toBinary, type DescFile, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";

/** The descriptors a reflection client can ask for, by file name and by symbol. */
export interface DescriptorIndex {
  readonly serviceNames: readonly string[];
  /** The file with that name and every file it imports, serialized, or undefined. */
  fileByName(name: string): Uint8Array[] | undefined;
  /** The file defining a message, enum, service, method or extension, with its imports. */
  fileContainingSymbol(symbol: string): Uint8Array[] | undefined;
  /** The file defining the extension `number` of `typeName`, with its imports. */
  fileContainingExtension(typeName: string, number: number): Uint8Array[] | undefined;
  /** The extension numbers known for a message type, or undefined for an unknown type. */
  extensionNumbersOf(typeName: string): number[] | undefined;
}

export function createDescriptorIndex(services: readonly DescService[]): DescriptorIndex {
  const files = new Map<string, DescFile>();
  const visit = (file: DescFile) => {
    if (files.has(file.name)) return;
    files.set(file.name, file);
    file.dependencies.forEach(visit);
  };
  services.forEach((service) => visit(service.file));
  const registry = createRegistry(...files.values());

  // A file and everything it imports, the file itself first, as reflection clients expect.
  const withImports = (file: DescFile): Uint8Array[] => {
    const seen = new Set<string>();
    const out: Uint8Array[] = [];
    const add = (each: DescFile) => {
      if (seen.has(each.name)) return;
      seen.add(each.name);
      out.push(toBinary(FileDescriptorProtoSchema, each.proto));
      each.dependencies.forEach(add);
    };
    add(file);
    return out;
  };

  const extensionsOf = (typeName: string) =>
    [...registry].filter((desc) => desc.kind === "extension" && desc.extendee.typeName === typeName);

  return {
    serviceNames: services.map((service) => service.typeName),
    fileByName(name) {
      const file = files.get(name);
      return file === undefined ? undefined : withImports(file);
    },
    fileContainingSymbol(symbol) {
      // A method is named Service.Method; look its service up.
      const desc = registry.get(symbol) ?? registry.getService(symbol.slice(0, symbol.lastIndexOf(".")));
      return desc === undefined ? undefined : withImports(desc.file);
    },
    fileContainingExtension(typeName, number) {
      const extension = extensionsOf(typeName).find((desc) => desc.kind === "extension" && desc.number === number);
      return extension === undefined ? undefined : withImports(extension.file);
    },
    extensionNumbersOf(typeName) {
      if (registry.getMessage(typeName) === undefined) return undefined;
      return extensionsOf(typeName).flatMap((desc) => (desc.kind === "extension" ? [desc.number] : []));
    },
  };
}
