/**
 * Request bodies across attempts: replayable ones (string, bytes, URLSearchParams, FormData,
 * Blob) are handed to every attempt as they are; a stream is sent at most once. On the
 * dispatcher path, a stream no attempt has read yet (the connection was refused before any
 * byte went out) may still be sent by the next attempt.
 */
export interface AttemptBody<B> {
  /** The body for the next attempt. */
  next(): B;
  /** True while another attempt may send the body. */
  canResend(): boolean;
}

const REPLAYABLE_NONE: AttemptBody<null> = { next: () => null, canResend: () => true };

export function isReplayableBody(body: unknown): boolean {
  return (
    body == null ||
    typeof body === 'string' ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    body instanceof URLSearchParams ||
    (typeof FormData !== 'undefined' && body instanceof FormData) ||
    (typeof Blob !== 'undefined' && body instanceof Blob)
  );
}

/**
 * For fetch bodies (`BodyInit`, async iterables). A stream is never sent twice: Node's fetch
 * reads its first chunk before the connection exists, so even a refused attempt may have
 * consumed part of it.
 */
export function fetchAttemptBody(body: unknown): AttemptBody<unknown> {
  if (body == null) return REPLAYABLE_NONE;
  if (isReplayableBody(body)) return { next: () => body, canResend: () => true };
  return { next: () => body, canResend: () => false };
}

/** For undici dispatch bodies (string, Buffer, Node Readable, async iterable). */
export function dispatchAttemptBody(body: unknown): AttemptBody<unknown> {
  if (body == null) return REPLAYABLE_NONE;
  if (typeof body === 'string' || body instanceof Uint8Array) return { next: () => body, canResend: () => true };
  const readable = body as { readableDidRead?: boolean; read?: unknown };
  if (typeof readable.read === 'function' && typeof readable.readableDidRead === 'boolean') {
    return { next: () => body, canResend: () => readable.readableDidRead === false };
  }
  const iterable = body as AsyncIterable<unknown> & Iterable<unknown>;
  const open = iterable[Symbol.asyncIterator] ? () => iterable[Symbol.asyncIterator]() : iterable[Symbol.iterator] ? () => toAsync(iterable[Symbol.iterator]()) : undefined;
  if (!open) return { next: () => body, canResend: () => false };
  let it: AsyncIterator<unknown> | undefined;
  let started = false;
  return {
    next: () => ({
      [Symbol.asyncIterator]: () => ({
        next: () => {
          started = true;
          return (it ??= open()).next();
        },
        return: async (value?: unknown) => {
          if (started) await it?.return?.(value);
          return { done: true as const, value };
        },
      }),
    }),
    canResend: () => !started,
  };
}

function toAsync(it: Iterator<unknown>): AsyncIterator<unknown> {
  return { next: async () => it.next(), return: async (v?: unknown) => it.return?.(v) ?? { done: true, value: v } };
}
