// Protobuf's binary form written field by field, for the few messages whose
// encoding is on a hot path (see events/conversation-event-binary.ts and
// rpc/response-binary.ts): the reflective encoder walks every field of a
// schema, these write only what is set. Every tag here is a single byte
// (fields 1 to 15); proto3's rules for what is left out are the caller's.

/** Fields gathered with their sizes, written into one buffer at the end. */
export class FieldWriter {
  #parts: (number | string | Uint8Array | FieldWriter)[] = [];
  /** Bytes the fields take. */
  size = 0;

  string(tag: number, value: string): void {
    if (value === "") return;
    const bytes = Buffer.byteLength(value);
    this.#parts.push(tag, bytes, value);
    this.size += 1 + varintSize(bytes) + bytes;
  }

  /** False for a value a varint field here cannot hold as toBinary would write it (negative, or past 2^53). */
  varint(tag: number, value: number): boolean {
    if (!Number.isSafeInteger(value) || value < 0) return false;
    if (value === 0) return true;
    this.#parts.push(tag, value);
    this.size += 1 + varintSize(value);
    return true;
  }

  /** A length-delimited field of bytes made elsewhere (a nested message encoded once). */
  bytes(tag: number, value: Uint8Array): void {
    this.#parts.push(tag, value.byteLength, value);
    this.size += 1 + varintSize(value.byteLength) + value.byteLength;
  }

  nested(tag: number, fields: FieldWriter): void {
    this.#parts.push(tag, fields.size, fields);
    this.size += 1 + varintSize(fields.size) + fields.size;
  }

  finish(): Uint8Array {
    const buffer = Buffer.allocUnsafe(this.size);
    const end = this.#writeInto(buffer, 0);
    if (end !== this.size) throw new Error(`encoded ${end} bytes of ${this.size}`);
    return buffer;
  }

  #writeInto(buffer: Buffer, start: number): number {
    let at = start;
    const parts = this.#parts;
    // Each field is its tag, then a varint (a value or a length), then for a length its bytes.
    for (let index = 0; index < parts.length; ) {
      buffer[at++] = parts[index++] as number;
      at = writeVarint(buffer, at, parts[index++] as number);
      const body = parts[index];
      if (typeof body === "string") {
        at += buffer.write(body, at);
        index++;
      } else if (body instanceof Uint8Array) {
        buffer.set(body, at);
        at += body.byteLength;
        index++;
      } else if (body instanceof FieldWriter) {
        at = body.#writeInto(buffer, at);
        index++;
      }
    }
    return at;
  }
}

function varintSize(value: number): number {
  let size = 1;
  for (let rest = value; rest >= 128; rest = Math.floor(rest / 128)) size++;
  return size;
}

function writeVarint(buffer: Buffer, start: number, value: number): number {
  let at = start;
  let rest = value;
  while (rest >= 128) {
    buffer[at++] = (rest % 128) | 128;
    rest = Math.floor(rest / 128);
  }
  buffer[at++] = rest;
  return at;
}
