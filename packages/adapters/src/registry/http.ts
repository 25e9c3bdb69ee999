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
 * growing the parser's buffer without bound. Counts bytes since the last blank line.
 */
export function limitEventSize(body: ReadableStream<Uint8Array>, maxBytes: number, onOversize: () => Error): ReadableStream<Uint8Array> {
  let since = 0;
  let lastWasNewline = false;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        for (let i = 0; i < chunk.length; i++) {
          const b = chunk[i]!;
          if (b === 10) {
            if (lastWasNewline) since = 0;
            lastWasNewline = true;
          } else if (b !== 13) {
            lastWasNewline = false;
            if (++since > maxBytes) {
              controller.error(onOversize());
              return;
            }
          }
        }
        controller.enqueue(chunk);
      },
    }),
  );
}
