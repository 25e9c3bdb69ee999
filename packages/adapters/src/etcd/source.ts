import { InvalidEndpointError, ResourceExpiredError, SourceError, WayfinderError, type ListResult, type Source, type SourceContext, type SourceFactory, type WatchEvent } from '@wayfinder/core';
import { createEtcdGateway, type EtcdGateway } from './gateway.js';
import { encodeBase64, parseRange, parseWatchResponse, watchLineSchema } from './parse.js';
import { type EtcdTarget, parseEtcdTarget, prefixRangeEnd } from './target.js';

/** etcd's default `--experimental-watch-progress-notify-interval` (3.4, 3.5). */
export const ETCD_DEFAULT_PROGRESS_NOTIFY_MS = 10 * 60_000;
/** Slack added to twice the notify interval before a silent watch is abandoned. */
const IDLE_SLACK_MS = 5_000;

export interface EtcdSourceOptions extends EtcdTarget {
  /** The target text, for messages. */
  label?: string;
}

/**
 * A {@link Source} over etcd v3 through its JSON gateway: lists the keys under a prefix
 * (`/v3/kv/range`), then watches from the next revision (`/v3/watch` with `prev_kv` and
 * `progress_notify`). Values are Wayfinder endpoint JSON or etcd naming updates
 * (`{"Op":0,"Addr":"host:port","Metadata":…}`); the endpoint id is the key.
 *
 * - A compaction past the watch position (`canceled` with `compact_revision`) throws
 *   `ResourceExpiredError`: the resolver lists again and replaces the set atomically.
 * - An invalid value fails the list or watch with an error naming the key: the resolver keeps
 *   the last good set (marked stale) and retries with backoff, so a partial set is never published.
 * - Several members: each call fails over to the next member on a connection error or 5xx.
 * - Progress notifications arrive every server `--experimental-watch-progress-notify-interval`
 *   (10 min by default); a watch silent for twice that (plus 5 s) is abandoned and resumed.
 *
 * @see https://etcd.io/docs/v3.4/dev-guide/api_grpc_gateway/
 * @example
 * const source = etcdSource({ members: ['http://127.0.0.1:2379'], prefix: 'services/planner/' });
 * const resolver = createResolver({ target: 'etcd://127.0.0.1:2379/services/planner/', source });
 */
export function etcdSource(options: EtcdSourceOptions): Source {
  const label = options.label ?? `etcd://${options.members.map((m) => m.replace(/^https?:\/\//, '')).join(',')}/${options.prefix}`;
  const key = Buffer.from(options.prefix, 'utf8');
  const range = { key: encodeBase64(key), range_end: encodeBase64(prefixRangeEnd(key)) };
  let gateway: EtcdGateway | undefined;
  const client = () => (gateway ??= createEtcdGateway({ members: options.members, label }));
  const notifyMs = options.progressNotifyMs ?? ETCD_DEFAULT_PROGRESS_NOTIFY_MS;

  const invalid = (error: unknown): never => {
    if (error instanceof InvalidEndpointError) throw new SourceError(label, `invalid value under the prefix: ${error.message}`, { cause: error });
    throw error;
  };

  return {
    describe: () => label,
    idleTimeoutMs: 2 * notifyMs + IDLE_SLACK_MS,
    async list(context: SourceContext): Promise<ListResult> {
      const body = await client().call('/v3/kv/range', range, context.signal);
      let listed: ReturnType<typeof parseRange>;
      try {
        listed = parseRange(body);
      } catch (error) {
        return invalid(error);
      }
      if (listed.more) throw new SourceError(label, 'the range answer was truncated (more: true)');
      return { endpoints: listed.endpoints, revision: listed.revision, cursor: listed.revision };
    },
    watch(cursor: string | undefined, context: SourceContext): AsyncIterable<WatchEvent> {
      return watchPrefix(client(), label, range, cursor, context, invalid);
    },
    async close() {
      await gateway?.close();
      gateway = undefined;
    },
  };
}

async function* watchPrefix(
  gateway: EtcdGateway,
  label: string,
  range: { key: string; range_end: string },
  cursor: string | undefined,
  context: SourceContext,
  invalid: (error: unknown) => never,
): AsyncIterable<WatchEvent> {
  const start = cursor === undefined ? undefined : (BigInt(cursor) + 1n).toString();
  const request = { create_request: { ...range, ...(start ? { start_revision: start } : {}), prev_kv: true, progress_notify: true } };
  for await (const line of gateway.stream('/v3/watch', request, context.signal)) {
    const parsed = watchLineSchema.safeParse(line);
    if (!parsed.success) throw new SourceError(label, `malformed watch response: ${JSON.stringify(line).slice(0, 200)}`);
    if (parsed.data.result === undefined) {
      const error = parsed.data.error;
      throw new SourceError(label, `the watch failed: ${parsed.data.message ?? (typeof error === 'string' ? error : (error?.message ?? JSON.stringify(error)))}`);
    }
    let step: ReturnType<typeof parseWatchResponse>;
    try {
      step = parseWatchResponse(parsed.data.result);
    } catch (error) {
      if (error instanceof WayfinderError) invalid(error);
      throw error;
    }
    switch (step.kind) {
      case 'created':
        yield { type: 'heartbeat' };
        break;
      case 'progress':
        yield { type: 'bookmark', cursor: step.revision };
        break;
      case 'changes':
        yield { type: 'changes', upsert: step.upsert, remove: step.remove, revision: step.revision, cursor: step.revision };
        break;
      case 'compacted':
        throw new ResourceExpiredError(label, `revision ${start ?? '(latest)'} was compacted (compact_revision ${step.compactRevision}), listing again`);
      case 'canceled':
        throw new SourceError(label, `the watch was canceled: ${step.reason}`);
    }
  }
}

/** `etcd://host:port[,host:port…]/key-prefix[?progress-notify-ms=N]`. */
export const etcdSourceFactory: SourceFactory = (target) => etcdSource({ ...parseEtcdTarget(target), label: target.raw });
