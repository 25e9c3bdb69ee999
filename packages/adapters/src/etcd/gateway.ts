import { SourceError, WayfinderError } from '@wayfinder/core';
import { Agent } from 'undici';
import { gatewayErrorMessage } from './parse.js';

/** Bounds one unary gateway call (range, put, lease); a watch has no body timeout. */
export const GATEWAY_REQUEST_TIMEOUT_MS = 10_000;
export const GATEWAY_CONNECT_TIMEOUT_MS = 5_000;
const MAX_LINE_BYTES = 64 * 1024 * 1024;

/**
 * A small client for the etcd v3 JSON gateway over several members, with undici 7. Each call
 * tries the members in turn, starting with the last one that answered, and moves to the next on
 * a connection error or a 5xx; it never sleeps or retries on a timer (the resolver owns backoff).
 */
export interface EtcdGateway {
  /** POSTs `body` to `path` (e.g. `/v3/kv/range`) and returns the parsed JSON answer. */
  call(path: string, body: unknown, signal?: AbortSignal): Promise<unknown>;
  /** POSTs `body` and yields one parsed JSON object per line of the streamed answer. */
  stream(path: string, body: unknown, signal: AbortSignal): AsyncIterable<unknown>;
  /** The member that answered last (for messages and tests). */
  readonly currentMember: string;
  close(): Promise<void>;
}

export interface EtcdGatewayOptions {
  /** Member origins, `http://host:port`. */
  members: readonly string[];
  /** Names the target in error messages. */
  label: string;
}

/** A gateway answer with an error status (not a connection failure). */
export class EtcdStatusError extends SourceError {
  readonly status: number;
  /** The gRPC code in the gateway's error body (5 = not found), when present. */
  readonly grpcCode: number | undefined;
  constructor(label: string, member: string, path: string, status: number, body: unknown) {
    const code = typeof body === 'object' && body !== null && typeof (body as { code?: unknown }).code === 'number' ? (body as { code: number }).code : undefined;
    super(label, `${member}${path} answered HTTP ${status}: ${gatewayErrorMessage(body) ?? 'no message'}`, { code: 'WF_ERR_SOURCE' });
    this.name = 'EtcdStatusError';
    this.status = status;
    this.grpcCode = code;
  }
}

export function createEtcdGateway(options: EtcdGatewayOptions): EtcdGateway {
  const { members, label } = options;
  const agent = new Agent({ connect: { timeout: GATEWAY_CONNECT_TIMEOUT_MS }, keepAliveTimeout: 30_000 });
  let preferred = 0;

  async function open(path: string, body: unknown, signal: AbortSignal | undefined, streaming: boolean) {
    const failures: string[] = [];
    for (let i = 0; i < members.length; i++) {
      const index = (preferred + i) % members.length;
      const member = members[index]!;
      signal?.throwIfAborted();
      let response;
      try {
        response = await agent.request({
          origin: member,
          path,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal,
          headersTimeout: GATEWAY_REQUEST_TIMEOUT_MS,
          // A watch may stay silent for a long time; idle detection belongs to the resolver.
          bodyTimeout: streaming ? 0 : GATEWAY_REQUEST_TIMEOUT_MS,
        });
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        failures.push(`${member}: ${describeError(error)}`);
        continue;
      }
      if (response.statusCode >= 500 || response.statusCode === 429) {
        const text = await response.body.text().catch(() => '');
        failures.push(`${member}: HTTP ${response.statusCode} ${gatewayErrorMessage(safeJSON(text)) ?? text.slice(0, 200)}`);
        continue;
      }
      preferred = index;
      if (response.statusCode >= 300) {
        const text = await response.body.text().catch(() => '');
        throw new EtcdStatusError(label, member, path, response.statusCode, safeJSON(text));
      }
      return { member, response };
    }
    throw new SourceError(label, `no etcd member answered ${path} (${failures.join('; ')})`);
  }

  return {
    get currentMember() {
      return members[preferred]!;
    },
    async call(path, body, signal) {
      const { member, response } = await open(path, body, signal, false);
      let text: string;
      try {
        text = await response.body.text();
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        throw new SourceError(label, `${member}${path}: reading the answer failed: ${describeError(error)}`, { cause: error });
      }
      const json = safeJSON(text);
      if (json === undefined) throw new SourceError(label, `${member}${path} answered with invalid JSON: ${text.slice(0, 200)}`);
      return json;
    },
    async *stream(path, body, signal) {
      const { member, response } = await open(path, body, signal, true);
      let buffered = '';
      try {
        response.body.setEncoding('utf8');
        for await (const chunk of response.body as AsyncIterable<string>) {
          buffered += chunk;
          if (buffered.length > MAX_LINE_BYTES) throw new SourceError(label, `${member}${path}: a line of the watch stream exceeds ${MAX_LINE_BYTES} bytes`);
          let newline: number;
          while ((newline = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, newline).trim();
            buffered = buffered.slice(newline + 1);
            if (line === '') continue;
            const json = safeJSON(line);
            if (json === undefined) throw new SourceError(label, `${member}${path}: invalid JSON line in the watch stream: ${line.slice(0, 200)}`);
            yield json;
          }
        }
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof WayfinderError) throw error;
        throw new SourceError(label, `${member}${path}: the watch stream failed: ${describeError(error)}`, { cause: error });
      } finally {
        if (!response.body.destroyed) response.body.destroy();
      }
      const rest = buffered.trim();
      if (rest !== '') {
        const json = safeJSON(rest);
        if (json === undefined) throw new SourceError(label, `${member}${path}: invalid JSON at the end of the watch stream`);
        yield json;
      }
    },
    async close() {
      await agent.destroy().catch(() => {});
    },
  };
}

function safeJSON(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${typeof code === 'string' ? `${code} ` : ''}${error.message}${cause}`;
}
