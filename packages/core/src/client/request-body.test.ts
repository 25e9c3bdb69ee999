import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { dispatchAttemptBody, fetchAttemptBody } from './request-body.js';

describe('fetchAttemptBody', () => {
  it('replays replayable bodies and sends streams once', () => {
    for (const body of ['s', new Uint8Array([1]), new URLSearchParams('a=1'), new Blob(['x']), new FormData()]) {
      const b = fetchAttemptBody(body);
      expect(b.next()).toBe(body);
      expect(b.canResend()).toBe(true);
    }
    const stream = fetchAttemptBody(new ReadableStream());
    stream.next();
    expect(stream.canResend()).toBe(false);
  });
});

describe('dispatchAttemptBody', () => {
  it('lets an unread Node stream go to the next attempt, never a read one', () => {
    const readable = Readable.from(['a', 'b']);
    const b = dispatchAttemptBody(readable);
    expect(b.canResend()).toBe(true);
    readable.read();
    expect(b.canResend()).toBe(false);
  });

  it('lets an async iterable that never advanced go again, and hands each attempt a fresh view', async () => {
    async function* gen() {
      yield 'a';
      yield 'b';
    }
    const b = dispatchAttemptBody(gen());
    const first = b.next() as AsyncIterable<string>;
    expect(b.canResend()).toBe(true);
    const second = b.next() as AsyncIterable<string>;
    const seen: string[] = [];
    for await (const chunk of second) seen.push(chunk);
    expect(seen).toEqual(['a', 'b']);
    expect(b.canResend()).toBe(false);
    void first;
  });
});
