/** Reads a response body as UTF-8, failing once it exceeds `maxBytes` (never buffering more). */
export async function readBodyLimited(response: Response, maxBytes: number): Promise<{ ok: true; text: string } | { ok: false; size: number }> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    return { ok: false, size: declared };
  }
  if (!response.body) return { ok: true, text: '' };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      return { ok: false, size };
    }
    chunks.push(value);
  }
  return { ok: true, text: Buffer.concat(chunks).toString('utf8') };
}

/**
 * Wraps an SSE body so a single event larger than `maxBytes` errors the stream instead of
 * growing the parser's buffer without bound (bytes are counted since the last blank line), and
 * so a stream that fails with a non-Error reason fails with an Error (eventsource 4 reads
 * `err.name` and would otherwise throw inside its own error handler).
 */
export function limitEventSize(body: ReadableStream<Uint8Array>, maxBytes: number, onOversize: () => Error): ReadableStream<Uint8Array> {
  let since = 0;
  let lastWasNewline = false;
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (error) {
        controller.error(error instanceof Error ? error : new Error(`the event stream failed${error === undefined ? '' : `: ${String(error)}`}`));
        return;
      }
      if (result.done) {
        controller.close();
        return;
      }
      const chunk = result.value;
      for (let i = 0; i < chunk.length; i++) {
        const b = chunk[i]!;
        if (b === 10) {
          if (lastWasNewline) since = 0;
          lastWasNewline = true;
        } else if (b !== 13) {
          lastWasNewline = false;
          if (++since > maxBytes) {
            controller.error(onOversize());
            void reader.cancel().catch(() => {});
            return;
          }
        }
      }
      controller.enqueue(chunk);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}
