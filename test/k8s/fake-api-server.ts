import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { discoveryDocument, statusBody, tableOf, type Slice } from './fake-api-objects.js';

/**
 * A fake Kubernetes API server for EndpointSlices that follows the real protocol
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/): one resourceVersion counter for
 * every write, lists carrying `metadata.resourceVersion`, watches from a resourceVersion with
 * ADDED/MODIFIED/DELETED/BOOKMARK/ERROR lines, `timeoutSeconds` honoured (with a last bookmark
 * before the close), 410 after a compaction (as an ERROR event, or as an HTTP 410), bearer
 * tokens answered with 401/403 `Status` objects, label selectors, discovery documents and Table
 * output for kubectl. It serves https when given a key and certificate.
 */
export interface FakeApiServerOptions {
  /** Serve https with this key and certificate (PEM). */
  tls?: { key: string; cert: string };
  /** Accepted bearer tokens; `allow: false` gets 403 on endpointslices. Absent: no auth. */
  tokens?: Record<string, { user: string; allow: boolean }>;
  /** How often watches with `allowWatchBookmarks=true` get a BOOKMARK. Default 1000 ms. */
  bookmarkIntervalMs?: number;
  /** How a watch from a compacted resourceVersion is refused. Default `event`. */
  expiredAs?: 'event' | 'http';
  /** Start with this resourceVersion. Default 1000. */
  initialResourceVersion?: number;
  port?: number;
}

interface Watcher {
  res: http.ServerResponse;
  namespace: string | undefined;
  selector: (labels: Record<string, string>) => boolean;
  table: boolean;
  held: boolean;
  timers: NodeJS.Timeout[];
}

export interface FakeApiServer {
  readonly url: string;
  readonly port: number;
  /** The current resourceVersion. */
  readonly resourceVersion: number;
  /** Every watch request (its namespace and query), in order. */
  readonly watchRequests: { namespace: string | undefined; query: URLSearchParams }[];
  /** Number of list requests served with 200. */
  readonly listCount: number;
  /** Number of watches refused with 410 (as an ERROR event or HTTP 410). */
  readonly expiredCount: number;
  /** Replaces the accepted bearer tokens (a rotation). */
  setTokens(tokens: Record<string, { user: string; allow: boolean }>): void;
  /** Users whose tokens were accepted, in order. */
  readonly authenticated: string[];
  /** Number of BOOKMARK events sent. */
  readonly bookmarkCount: number;
  /** Creates or replaces a slice (ADDED or MODIFIED); returns its resourceVersion. */
  apply(slice: Slice): string;
  /** Deletes a slice (DELETED); returns the resourceVersion of the deletion. */
  remove(namespace: string, name: string): string;
  /** Forgets every event so far: watches from an older resourceVersion get 410. */
  compact(): void;
  /** Existing watches stop receiving events and bookmarks (a lagging server); new ones are normal. */
  holdWatches(): void;
  /** Ends every watch response normally, as a timeout does. */
  endWatches(): void;
  /** New watches get their headers and then nothing at all, and never end by themselves. */
  setSilent(silent: boolean): void;
  readonly activeWatches: number;
  /** Stops listening (dropping every connection) and listens again on the same port; state survives. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

const SLICES_RE = /^\/apis\/discovery\.k8s\.io\/v1\/(?:namespaces\/([^/]+)\/)?endpointslices(?:\/([^/]+))?$/;

export async function startFakeApiServer(options: FakeApiServerOptions = {}): Promise<FakeApiServer> {
  let rv = options.initialResourceVersion ?? 1000;
  let compactedRv = 0;
  let silent = false;
  let listCount = 0;
  let expiredCount = 0;
  let bookmarkCount = 0;
  const objects = new Map<string, Slice>();
  const history: { rv: number; type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: Slice }[] = [];
  const watchers = new Set<Watcher>();
  const sockets = new Set<Socket>();
  const watchRequests: { namespace: string | undefined; query: URLSearchParams }[] = [];
  const bookmarkMs = options.bookmarkIntervalMs ?? 1000;
  let tokens = options.tokens;
  const authenticated: string[] = [];
  const scheme = options.tls ? 'https' : 'http';

  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json', 'cache-control': 'no-cache, private' });
      res.end(`${JSON.stringify(body)}\n`);
    };
    if (req.method !== 'GET') return send(405, statusBody(405, 'MethodNotAllowed', 'the fake API server only serves GET'));
    let allowed = true;
    if (tokens) {
      const auth = req.headers.authorization ?? '';
      const token = auth.startsWith('Bearer ') ? auth.slice(7) : undefined;
      const account = token === undefined ? undefined : tokens[token];
      if (!account) return send(401, statusBody(401, 'Unauthorized', 'Unauthorized'));
      authenticated.push(account.user);
      allowed = account.allow;
      (req as { user?: string }).user = account.user;
    }
    const discovery = discoveryDocument(url.pathname, `127.0.0.1:${port}`);
    if (discovery) return send(200, discovery);
    const m = SLICES_RE.exec(url.pathname);
    if (!m) return send(404, statusBody(404, 'NotFound', 'the server could not find the requested resource'));
    const namespace = m[1] ? decodeURIComponent(m[1]) : undefined;
    const name = m[2] ? decodeURIComponent(m[2]) : undefined;
    const watch = url.searchParams.get('watch') === '1' || url.searchParams.get('watch') === 'true';
    const verb = watch ? 'watch' : name ? 'get' : 'list';
    if (!allowed) {
      const user = (req as { user?: string }).user;
      const scope = namespace ? ` in the namespace "${namespace}"` : ' at the cluster scope';
      return send(403, {
        ...statusBody(403, 'Forbidden', `endpointslices.discovery.k8s.io is forbidden: User "${user}" cannot ${verb} resource "endpointslices" in API group "discovery.k8s.io"${scope}`),
        details: { group: 'discovery.k8s.io', kind: 'endpointslices' },
      });
    }
    const table = (req.headers.accept ?? '').includes('as=Table');
    const includeObject = url.searchParams.get('includeObject') ?? 'Metadata';
    if (name) {
      const object = objects.get(`${namespace}/${name}`);
      if (!object) return send(404, { ...statusBody(404, 'NotFound', `endpointslices.discovery.k8s.io "${name}" not found`), details: { name, group: 'discovery.k8s.io', kind: 'endpointslices' } });
      return send(200, table ? tableOf([object], String(rv), includeObject, true) : typed(object));
    }
    const selector = parseSelector(url.searchParams.get('labelSelector') ?? '');
    const matches = (o: Slice) => (namespace === undefined || o.metadata.namespace === namespace) && selector(o.metadata.labels ?? {});
    if (!watch) {
      listCount++;
      const items = [...objects.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, o]) => o).filter(matches);
      if (table) return send(200, tableOf(items, String(rv), includeObject, true));
      return send(200, { kind: 'EndpointSliceList', apiVersion: 'discovery.k8s.io/v1', metadata: { resourceVersion: String(rv) }, items });
    }
    watchRequests.push({ namespace, query: url.searchParams });
    const fromText = url.searchParams.get('resourceVersion');
    const from = fromText && fromText !== '0' ? Number(fromText) : undefined;
    if (from !== undefined && (!Number.isInteger(from) || from < compactedRv)) {
      expiredCount++;
      const status = statusBody(410, 'Expired', `too old resource version: ${fromText} (${compactedRv})`);
      if (options.expiredAs === 'http') return send(410, { ...status, reason: 'Gone' });
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private' });
      res.end(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const watcher: Watcher = { res, namespace, selector: (l) => selector(l), table, held: silent, timers: [] };
    watchers.add(watcher);
    const stop = () => {
      for (const t of watcher.timers) clearTimeout(t);
      watchers.delete(watcher);
    };
    res.on('close', stop);
    let first = true;
    const write = (type: string, object: Slice | Record<string, unknown>) => {
      const body = watcher.table && type !== 'BOOKMARK' ? tableOf([object as Slice], (object as Slice).metadata.resourceVersion!, includeObject, first) : object;
      first = false;
      res.write(`${JSON.stringify({ type, object: body })}\n`);
    };
    (watcher as Watcher & { write: typeof write }).write = write;
    if (silent) return;
    if (from === undefined) {
      for (const o of [...objects.values()].filter(matches)) write('ADDED', typed(o));
    } else {
      for (const e of history) if (e.rv > from && matches(e.object)) write(e.type, typed(e.object));
    }
    const bookmarks = url.searchParams.get('allowWatchBookmarks') === 'true';
    const bookmark = () => {
      bookmarkCount++;
      write('BOOKMARK', { kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', metadata: { resourceVersion: String(rv), creationTimestamp: null }, addressType: '', endpoints: null, ports: null });
    };
    if (bookmarks) {
      const tick = () => {
        if (!watcher.held) bookmark();
        watcher.timers.push(setTimeout(tick, bookmarkMs));
      };
      watcher.timers.push(setTimeout(tick, bookmarkMs));
    }
    const timeoutSeconds = Number(url.searchParams.get('timeoutSeconds') ?? 1800);
    watcher.timers.push(
      setTimeout(() => {
        if (bookmarks && !watcher.held) bookmark();
        res.end();
      }, timeoutSeconds * 1000),
    );
  };

  const broadcast = (type: 'ADDED' | 'MODIFIED' | 'DELETED', object: Slice) => {
    history.push({ rv, type, object });
    for (const w of watchers) {
      if (w.held) continue;
      if (w.namespace !== undefined && w.namespace !== object.metadata.namespace) continue;
      if (!w.selector(object.metadata.labels ?? {})) continue;
      (w as Watcher & { write: (t: string, o: unknown) => void }).write(type, typed(object));
    }
  };

  let server: http.Server;
  let port = options.port ?? 0;
  const listen = async () => {
    server = options.tls ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, handler) : http.createServer(handler);
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    server.on('secureConnection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    port = (server.address() as AddressInfo).port;
  };
  const shutdown = async () => {
    for (const w of watchers) for (const t of w.timers) clearTimeout(t);
    watchers.clear();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of sockets) s.destroy();
    await closed;
  };
  await listen();

  return {
    get url() {
      return `${scheme}://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    get resourceVersion() {
      return rv;
    },
    watchRequests,
    get listCount() {
      return listCount;
    },
    setTokens(next) {
      tokens = next;
    },
    authenticated,
    get expiredCount() {
      return expiredCount;
    },
    get bookmarkCount() {
      return bookmarkCount;
    },
    apply(slice) {
      const key = `${slice.metadata.namespace}/${slice.metadata.name}`;
      const before = objects.get(key);
      rv++;
      const object: Slice = structuredClone({
        ...slice,
        metadata: {
          ...slice.metadata,
          uid: before?.metadata.uid ?? `uid-${key}-${rv}`,
          creationTimestamp: before?.metadata.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          generation: (before?.metadata.generation ?? 0) + 1,
          resourceVersion: String(rv),
        },
      });
      objects.set(key, object);
      broadcast(before ? 'MODIFIED' : 'ADDED', object);
      return String(rv);
    },
    remove(namespace, name) {
      const key = `${namespace}/${name}`;
      const before = objects.get(key);
      if (!before) throw new Error(`no slice ${key}`);
      objects.delete(key);
      rv++;
      broadcast('DELETED', { ...before, metadata: { ...before.metadata, resourceVersion: String(rv) } });
      return String(rv);
    },
    compact() {
      compactedRv = rv;
      history.length = 0;
    },
    holdWatches() {
      for (const w of watchers) w.held = true;
    },
    endWatches() {
      for (const w of [...watchers]) w.res.end();
    },
    setSilent(on) {
      silent = on;
    },
    get activeWatches() {
      return watchers.size;
    },
    async restart() {
      await shutdown();
      await listen();
    },
    close: shutdown,
  };
}

/** Watch event objects and single GETs carry kind and apiVersion; list items do not. */
function typed(object: Slice): Slice & { kind: string; apiVersion: string } {
  return { kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', ...object };
}

/** Equality-based label selectors: `k=v`, `k==v`, `k!=v`, `k`, `!k`, joined with commas. */
function parseSelector(text: string): (labels: Record<string, string>) => boolean {
  const terms = text
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '')
    .map((t) => {
      const ne = /^([^!=]+)!=(.*)$/.exec(t);
      if (ne) return (l: Record<string, string>) => l[ne[1]!.trim()] !== ne[2]!.trim();
      const eq = /^([^!=]+)==?(.*)$/.exec(t);
      if (eq) return (l: Record<string, string>) => l[eq[1]!.trim()] === eq[2]!.trim();
      if (t.startsWith('!')) return (l: Record<string, string>) => !(t.slice(1) in l);
      return (l: Record<string, string>) => t in l;
    });
  return (labels) => terms.every((f) => f(labels));
}
