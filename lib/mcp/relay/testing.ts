/** Test support: the JSON-RPC messages of an SSE answer from /mcp, one at a time. */
export function sseMessages(res: Response) {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  return {
    async next(): Promise<Record<string, unknown>> {
      for (;;) {
        const end = buf.indexOf("\n\n");
        if (end >= 0) {
          const data = buf.slice(0, end).split("\n").find((l) => l.startsWith("data: "));
          buf = buf.slice(end + 2);
          if (data) return JSON.parse(data.slice(6)) as Record<string, unknown>;
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error("the stream ended");
        buf += value;
      }
    },
    cancel: () => reader.cancel(),
  };
}
