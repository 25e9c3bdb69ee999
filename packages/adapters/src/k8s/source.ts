import { InvalidOptionError, isWayfinderError, ResourceExpiredError, SourceError, type ListResult, type Source, type SourceContext, type WatchEvent } from '@wayfinder/core';
import { createK8sHttp, type K8sHttp, type K8sResponse } from './client.js';
import { type ClusterConfig, loadClusterConfig } from './config.js';
import { apiError, parseStatus, type RequestScope, transportError } from './errors.js';
import { KubeconfigError } from './kubeconfig.js';
import { bookmarkSchema, endpointSliceListSchema, endpointSliceSchema, type EndpointSlice, sliceToEndpoints, statusSchema, watchEventSchema } from './parse.js';
import { createSliceStore, type SliceStore } from './slice-store.js';

/** client-go's minimum watch timeout; each watch asks for a random value in [t, 2t). */
export const DEFAULT_WATCH_TIMEOUT_SECONDS = 300;
const LIST_BODY_TIMEOUT_MS = 60_000;
const MAX_IDLE_MARGIN_MS = 30_000;
const MIN_IDLE_MARGIN_MS = 1_000;

export interface K8sEndpointSlicesOptions {
  readonly service: string;
  /** Default: the kubeconfig context's namespace, else the pod's own, else `default`. */
  readonly namespace?: string;
  /** The port's name; absent: the service's only port. */
  readonly portName?: string;
  /** An explicit API URL (`kubectl proxy`'s `http://127.0.0.1:8001`); no credentials are sent. */
  readonly api?: string;
  /** A kubeconfig file instead of `KUBECONFIG` / `~/.kube/config`. */
  readonly kubeconfig?: string;
  /** A kubeconfig context instead of `current-context`. */
  readonly context?: string;
  /** Environment for `KUBECONFIG`, `HOME`, `KUBERNETES_SERVICE_HOST`/`PORT`. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where the in-cluster token, `ca.crt` and `namespace` files are. */
  readonly serviceAccountDir?: string;
  /** Base watch timeout; each watch sends a jittered `timeoutSeconds` in [t, 2t). Default 300. */
  readonly watchTimeoutSeconds?: number;
  /** Names the source in messages. Default `k8s://namespace/service[:port]`. */
  readonly label?: string;
}

/**
 * A {@link Source} for the endpoints of a Kubernetes Service, read from its `discovery.k8s.io/v1`
 * EndpointSlices (https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/) and
 * kept current with the API server's watch protocol
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes):
 * list, then watch from the list's `resourceVersion` with bookmarks; a 410 makes the resolver
 * list again and replace the set atomically; a watch closed after its `timeoutSeconds` is resumed
 * from the last `resourceVersion`; a stream silent past the timeout is abandoned
 * (`idleTimeoutMs`). An update of one slice is turned into changes from that slice alone.
 *
 * @example
 * const resolver = createResolver({ target: 'k8s://agents/planner:grpc', source: k8sEndpointSlices({ namespace: 'agents', service: 'planner', portName: 'grpc' }) });
 */
export function k8sEndpointSlices(options: K8sEndpointSlicesOptions): Source {
  const base = options.watchTimeoutSeconds ?? DEFAULT_WATCH_TIMEOUT_SECONDS;
  if (!Number.isInteger(base) || base < 1) throw new InvalidOptionError('watchTimeoutSeconds', base, 'must be an integer ≥ 1');
  const maxTimeoutMs = 2 * base * 1000;
  const idleTimeoutMs = maxTimeoutMs + Math.min(MAX_IDLE_MARGIN_MS, Math.max(MIN_IDLE_MARGIN_MS, maxTimeoutMs / 20));
  const { service, portName } = options;
  const label = options.label ?? `k8s://${options.namespace ? `${options.namespace}/` : ''}${service}${portName ? `:${portName}` : ''}`;
  let setup: Promise<{ http: K8sHttp; scope: Omit<RequestScope, 'verb'>; path: string }> | undefined;
  let store: SliceStore = createSliceStore();
  let closed = false;

  const connect = async () => {
    setup ??= (async () => {
      let config: ClusterConfig;
      try {
        config = await loadClusterConfig({ ...options, env: options.env ?? process.env });
      } catch (error) {
        if (error instanceof KubeconfigError) throw new SourceError(label, error.message, { permanent: true, cause: error });
        throw error;
      }
      const server = config.server.href.replace(/\/$/, '');
      if (config.server.protocol === 'http:' && (config.token || config.cert)) {
        throw new SourceError(
          label,
          `refusing to send ${config.token ? 'a bearer token' : 'a client certificate'} over plain http to ${server} (${config.credentials}); use the cluster's https URL, or kubectl proxy with ?api=http://127.0.0.1:8001`,
          { permanent: true },
        );
      }
      const namespace = options.namespace ?? config.namespace ?? 'default';
      const selector = encodeURIComponent(`kubernetes.io/service-name=${service}`);
      return {
        http: createK8sHttp(config),
        scope: { label, server, namespace, credentials: config.credentials },
        path: `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices?labelSelector=${selector}`,
      };
    })();
    try {
      return await setup;
    } catch (error) {
      setup = undefined;
      throw error;
    }
  };

  const request = async (verb: RequestScope['verb'], query: string, context: SourceContext, bodyTimeoutMs: number) => {
    const { http, scope: partial, path } = await connect();
    const scope: RequestScope = { ...partial, verb };
    let response: K8sResponse;
    try {
      response = await http.get(path + query, { signal: context.signal, bodyTimeoutMs });
    } catch (error) {
      context.signal.throwIfAborted();
      throw transportError(scope, error);
    }
    if (response.statusCode !== 200) {
      const text = await response.body.text().catch(() => '');
      throw apiError(scope, response.statusCode, parseStatus(text));
    }
    return { response, scope };
  };

  const contribution = (slice: EndpointSlice, previous?: SliceStore) => {
    try {
      return sliceToEndpoints(slice, portName, previous?.get(slice.metadata.name));
    } catch (error) {
      throw new SourceError(label, `EndpointSlice "${slice.metadata.name}": ${(error as Error).message}`, { cause: error });
    }
  };

  return {
    describe: () => label,
    idleTimeoutMs,

    async list(context: SourceContext): Promise<ListResult> {
      const { response, scope } = await request('list', '', context, LIST_BODY_TIMEOUT_MS);
      let json: unknown;
      try {
        json = await response.body.json();
      } catch (error) {
        context.signal.throwIfAborted();
        throw new SourceError(label, `the EndpointSlice list from ${scope.server} is not JSON: ${(error as Error).message}`, { cause: error });
      }
      const parsed = endpointSliceListSchema.safeParse(json);
      if (!parsed.success) throw malformed(label, 'EndpointSliceList', parsed.error);
      const next = createSliceStore();
      for (const slice of parsed.data.items ?? []) next.apply(slice.metadata.name, contribution(slice));
      checkPorts(next, label, scope.namespace, service, portName);
      store = next;
      const rv = parsed.data.metadata.resourceVersion;
      return { endpoints: next.endpoints(), revision: rv, cursor: rv };
    },

    async *watch(cursor: string | undefined, context: SourceContext): AsyncIterable<WatchEvent> {
      const timeoutSeconds = Math.floor(base * (1 + Math.min(0.999, Math.max(0, context.random()))));
      const query = `&watch=1&allowWatchBookmarks=true&timeoutSeconds=${timeoutSeconds}${cursor ? `&resourceVersion=${encodeURIComponent(cursor)}` : ''}`;
      const { response, scope } = await request('watch', query, context, idleTimeoutMs);
      const current = store;
      // Lines are cut from raw bytes and decoded once each: an event line is tens of kilobytes,
      // and growing a string chunk by chunk would copy it several times.
      let pending: Buffer[] = [];
      try {
        for await (const chunk of response.body as AsyncIterable<Buffer>) {
          // An abandoned watch must not apply events the resolver will never see.
          if (context.signal.aborted) return;
          let start = 0;
          let newline: number;
          while ((newline = chunk.indexOf(10, start)) >= 0) {
            const piece = chunk.subarray(start, newline);
            const line = pending.length === 0 ? piece.toString('utf8') : Buffer.concat([...pending, piece]).toString('utf8');
            pending = [];
            start = newline + 1;
            if (line.trim() === '') continue;
            if (context.signal.aborted) return;
            yield* decodeEvent(line, current, scope);
          }
          if (start < chunk.length) pending.push(chunk.subarray(start));
        }
      } catch (error) {
        if (context.signal.aborted) return;
        if (isWayfinderError(error)) throw error;
        throw transportError(scope, error);
      } finally {
        response.body.destroy();
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      const pending = setup;
      setup = undefined;
      const ready = await pending?.catch(() => undefined);
      await ready?.http.close();
    },
  };

  function* decodeEvent(line: string, current: SliceStore, scope: RequestScope): Iterable<WatchEvent> {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (error) {
      throw new SourceError(label, `malformed watch event from ${scope.server}: ${(error as Error).message}`, { cause: error });
    }
    const event = watchEventSchema.safeParse(json);
    if (!event.success) throw malformed(label, 'watch event', event.error);
    const { type, object } = event.data;
    if (type === 'ERROR') {
      const status = statusSchema.safeParse(object);
      const code = status.success ? status.data.code : undefined;
      if (code === 410) throw new ResourceExpiredError(label, `watch expired (${status.success ? status.data.message : 'Gone'}), listing again`);
      throw apiError(scope, code ?? 500, status.success ? status.data : undefined);
    }
    if (type === 'BOOKMARK') {
      const bookmark = bookmarkSchema.safeParse(object);
      if (!bookmark.success) throw malformed(label, 'BOOKMARK event', bookmark.error);
      yield { type: 'bookmark', cursor: bookmark.data.metadata.resourceVersion };
      return;
    }
    const parsed = endpointSliceSchema.safeParse(object);
    if (!parsed.success) throw malformed(label, `${type} event`, parsed.error);
    const slice = parsed.data;
    const rv = slice.metadata.resourceVersion;
    const added = type === 'DELETED' ? null : contribution(slice, current);
    const { upsert, remove } = current.apply(slice.metadata.name, added);
    if (upsert.length === 0 && remove.length === 0) {
      if (rv) yield { type: 'bookmark', cursor: rv };
    } else {
      yield { type: 'changes', upsert, remove, ...(rv ? { revision: rv, cursor: rv } : {}) };
    }
    if (added && !added.port.ok && (slice.endpoints?.length ?? 0) > 0 && !current.portChoices().some((p) => p.ok)) {
      yield { type: 'error', error: portError(label, scope.namespace, service, portName, current) };
    }
  }
}

function malformed(label: string, what: string, error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): SourceError {
  const issue = error.issues[0];
  const where = issue ? `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}` : 'invalid';
  return new SourceError(label, `malformed ${what}: ${where}`, { cause: error });
}

function checkPorts(store: SliceStore, label: string, namespace: string, service: string, portName: string | undefined): void {
  const choices = store.portChoices();
  if (choices.length === 0 || choices.some((p) => p.ok)) return;
  throw portError(label, namespace, service, portName, store);
}

function portError(label: string, namespace: string, service: string, portName: string | undefined, store: SliceStore): SourceError {
  const names = [...new Set(store.portChoices().flatMap((p) => (p.ok ? Object.keys(p.ports) : p.names)))].sort();
  const shown = names.map((n) => (n === '' ? '(unnamed)' : `"${n}"`)).join(', ');
  const who = `service "${service}" in namespace "${namespace}"`;
  if (names.length === 0) return new SourceError(label, `${who} publishes no port`, { permanent: true });
  if (portName === undefined) {
    return new SourceError(label, `${who} has several ports (${shown}): name one, e.g. k8s://${namespace}/${service}:${names.find((n) => n !== '') ?? names[0]}`, { permanent: true });
  }
  return new SourceError(label, `${who} has no port named "${portName}" (its ports: ${shown})`, { permanent: true });
}
