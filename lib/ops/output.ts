/**
 * Bounded output: a command or an API may answer with any amount of data; the gateway keeps the
 * first `max` bytes, counts the rest, and says it truncated. Redaction (lib/audit Redactor) runs
 * on what is kept, in service.ts, before anything is returned or logged.
 */

export class BoundedOutput {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  /** Every byte seen, kept or not. */
  total = 0;

  constructor(private readonly max: number) {}

  push(chunk: Buffer | string): void {
    const b = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    this.total += b.length;
    const room = this.max - this.kept;
    if (room <= 0) return;
    const part = b.length <= room ? b : b.subarray(0, room);
    this.chunks.push(part);
    this.kept += part.length;
  }

  get truncated(): boolean {
    return this.total > this.kept;
  }

  buffer(): Buffer {
    return Buffer.concat(this.chunks, this.kept);
  }

  /** UTF-8 text of what was kept (a character cut at the limit becomes U+FFFD), with a note when truncated. */
  text(): string {
    const s = this.buffer().toString("utf8");
    return this.truncated ? `${s}\n[truncated: ${this.total - this.kept} of ${this.total} bytes not shown]` : s;
  }
}

/**
 * A JSON answer kept as data when its serialization fits in `max` bytes, else as truncated text
 * (never parsed past the limit).
 */
export function boundedJson(value: unknown, max: number): { data?: unknown; text: string; truncated: boolean } {
  const text = JSON.stringify(value) ?? "null";
  if (Buffer.byteLength(text) <= max) return { data: value, text: "", truncated: false };
  const out = new BoundedOutput(max);
  out.push(text);
  return { text: out.text(), truncated: true };
}
