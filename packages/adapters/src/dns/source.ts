import { setMaxListeners } from 'node:events';
import { InvalidOptionError, type ListResult, type Source, type SourceContext } from '@wayfinder/core';
import { type AddressLookup, addressEndpoints, minTtl, negativeTtl, readAddresses, readSrvRecords, refreshDelayMs, srvEndpoints } from './parse.js';
import { canonicalName } from './message.js';
import { createDnsQuerier, type DnsQuerier, readRecords } from './query.js';
import { DEFAULT_RESOLV_CONF_PATH } from './resolv-conf.js';
import { DNS_PORT, type DnsServer } from './target.js';
import { type DnsTransport, socketTransport } from './transport.js';

/** Shortest re-read interval, whatever the TTL (a TTL of 0 would otherwise mean a query storm). */
export const DEFAULT_DNS_MIN_REFRESH_MS = 1_000;
/** Longest re-read interval, whatever the TTL: changes show up at least this often. */
export const DEFAULT_DNS_MAX_REFRESH_MS = 30_000;
/** Per query (one UDP or TCP exchange with one server). */
export const DEFAULT_DNS_QUERY_TIMEOUT_MS = 2_000;
/** Re-read delay after "no records" when the server sent no SOA to take a negative TTL from. */
export const DEFAULT_DNS_NEGATIVE_REFRESH_MS = 5_000;
/** Address look-ups for SRV targets run this many at a time. */
const LOOKUP_CONCURRENCY = 8;

/** Options shared by {@link dnsSrv} and {@link dnsAddress}. */
export interface DnsSourceOptions {
  /** The server to ask. Default: the `nameserver` lines of {@link DnsSourceOptions.resolvConfPath}. */
  server?: DnsServer;
  /** Default `/etc/resolv.conf`, read at each refresh. */
  resolvConfPath?: string;
  /** The port of the resolv.conf servers. Default 53. */
  systemPort?: number;
  /** Lower bound of the TTL-driven refresh. Default {@link DEFAULT_DNS_MIN_REFRESH_MS}. */
  minRefreshMs?: number;
  /** Upper bound of the TTL-driven refresh. Default {@link DEFAULT_DNS_MAX_REFRESH_MS}. */
  maxRefreshMs?: number;
  /** Timeout of one query exchange. Default {@link DEFAULT_DNS_QUERY_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** How queries travel. Default UDP with TCP fallback on real sockets. */
  transport?: DnsTransport;
  /** What `describe()` returns (the target). */
  label?: string;
}

export interface DnsSrvOptions extends DnsSourceOptions {
  /** The SRV owner name, e.g. `_http._tcp.planner.svc.cluster.local`. */
  name: string;
}

export interface DnsAddressOptions extends DnsSourceOptions {
  /** The name whose A and AAAA records become endpoints. */
  name: string;
  /** The port of every endpoint. */
  port: number;
}

/**
 * A source reading DNS SRV records (RFC 2782, https://www.rfc-editor.org/rfc/rfc2782): every
 * address of every target becomes an endpoint with the record's priority, a share of its weight
 * and `hostname` = the target. Addresses come from the additional section when the server sends
 * them, else from A/AAAA look-ups. `list()` returns `refreshAfterMs` = the smallest TTL seen,
 * clamped to [minRefreshMs, maxRefreshMs]; the resolver polls on it.
 *
 * NXDOMAIN, no SRV records, or a lone "." target give an empty set. SERVFAIL, REFUSED, a timeout,
 * an unreachable server or a malformed answer throw {@link DnsQueryError}: the resolver keeps the
 * last good set and retries.
 *
 * @example
 * const source = dnsSrv({ name: '_http._tcp.planner.svc.cluster.local', server: { address: '10.96.0.10', port: 53 } });
 * const resolver = createResolver({ target: 'dns-srv://10.96.0.10/_http._tcp.planner.svc.cluster.local', source });
 */
export function dnsSrv(options: DnsSrvOptions): Source {
  const settings = resolveOptions(options, `dns-srv:///${options.name}`);
  const query = createDnsQuerier(settings.querier);
  const target = settings.querier.target;
  return {
    describe: () => target,
    async list(context: SourceContext): Promise<ListResult> {
      const answer = await query(options.name, 'SRV', context);
      const { records, ttl } = readRecords(target, answer, `${options.name} SRV`, (r) => readSrvRecords(r, options.name));
      const usable = records.filter((r) => r.target !== '');
      if (usable.length === 0) {
        const negative = records.length > 0 ? ttl : readRecords(target, answer, `${options.name} SRV`, negativeTtl);
        return { endpoints: [], refreshAfterMs: settings.delay(negative, true) };
      }
      const lookups = new Map<string, AddressLookup>();
      const missing: string[] = [];
      for (const record of usable) {
        const key = canonicalName(record.target);
        if (lookups.has(key) || missing.includes(key)) continue;
        const extra = readRecords(target, answer, `${options.name} SRV`, (r) => readAddresses(r.additionals, key));
        if (extra.addresses.length > 0) lookups.set(key, extra);
        else missing.push(key);
      }
      await withLookupSignal(context, (lookupContext) =>
        forEachLimited(missing, LOOKUP_CONCURRENCY, async (name) => {
          lookups.set(name, await lookupAddresses(query, target, name, lookupContext));
        }),
      );
      let minimum = ttl;
      for (const record of usable) minimum = minTtl(minimum, lookups.get(canonicalName(record.target))?.ttl);
      const endpoints = srvEndpoints(usable, (t) => lookups.get(canonicalName(t))?.addresses ?? []);
      return { endpoints, refreshAfterMs: settings.delay(minimum, endpoints.length === 0) };
    },
  };
}

/**
 * A source reading the A and AAAA records of a name (a Kubernetes headless service): one endpoint
 * per address with the given port, `hostname` = the name, refreshed by the records' TTL within
 * [minRefreshMs, maxRefreshMs]. Errors as {@link dnsSrv}.
 *
 * @example
 * const source = dnsAddress({ name: 'planner.default.svc.cluster.local', port: 8080 });
 */
export function dnsAddress(options: DnsAddressOptions): Source {
  const settings = resolveOptions(options, `dns:///${options.name}:${options.port}`);
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) throw new InvalidOptionError('port', options.port, 'must be an integer 1-65535');
  const query = createDnsQuerier(settings.querier);
  const target = settings.querier.target;
  return {
    describe: () => target,
    async list(context: SourceContext): Promise<ListResult> {
      const found = await lookupAddresses(query, target, options.name, context);
      const endpoints = addressEndpoints(options.name, found.addresses, options.port);
      return { endpoints, refreshAfterMs: settings.delay(found.ttl, endpoints.length === 0) };
    },
  };
}

/** A and AAAA of `name` together; an empty result carries the negative TTL. */
/**
 * Runs the parallel address look-ups under a signal of their own that follows the caller's:
 * up to 2 × LOOKUP_CONCURRENCY queries listen to it at once, more than Node's default warning
 * threshold of 10 listeners, which is not a leak here.
 */
async function withLookupSignal<T>(context: SourceContext, run: (context: SourceContext) => Promise<T>): Promise<T> {
  context.signal.throwIfAborted();
  const local = new AbortController();
  setMaxListeners(2 * LOOKUP_CONCURRENCY + 2, local.signal);
  const forward = () => local.abort(context.signal.reason);
  context.signal.addEventListener('abort', forward, { once: true });
  try {
    return await run({ ...context, signal: local.signal });
  } finally {
    context.signal.removeEventListener('abort', forward);
  }
}

async function lookupAddresses(query: DnsQuerier, target: string, name: string, context: SourceContext): Promise<AddressLookup> {
  const answers = await Promise.all([query(name, 'A', context), query(name, 'AAAA', context)]);
  const addresses: string[] = [];
  let ttl: number | undefined;
  let negative: number | undefined;
  for (const answer of answers) {
    const found = readRecords(target, answer, `${name} ${answer === answers[0] ? 'A' : 'AAAA'}`, (r) => readAddresses(r.answers, name));
    addresses.push(...found.addresses);
    ttl = minTtl(ttl, found.ttl);
    if (found.addresses.length === 0) negative = minTtl(negative, readRecords(target, answer, name, negativeTtl));
  }
  return { addresses: [...new Set(addresses)].sort(), ttl: addresses.length > 0 ? ttl : negative };
}

async function forEachLimited<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await run(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function resolveOptions(options: DnsSourceOptions, fallbackLabel: string) {
  const minMs = nonNegative('minRefreshMs', options.minRefreshMs ?? DEFAULT_DNS_MIN_REFRESH_MS);
  const maxMs = nonNegative('maxRefreshMs', options.maxRefreshMs ?? Math.max(DEFAULT_DNS_MAX_REFRESH_MS, minMs));
  if (maxMs < minMs) throw new InvalidOptionError('maxRefreshMs', maxMs, `must be ≥ minRefreshMs (${minMs})`);
  const timeoutMs = options.timeoutMs ?? DEFAULT_DNS_QUERY_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new InvalidOptionError('timeoutMs', timeoutMs, 'must be a number > 0');
  const systemPort = options.systemPort ?? DNS_PORT;
  if (!Number.isInteger(systemPort) || systemPort < 1 || systemPort > 65535) throw new InvalidOptionError('systemPort', systemPort, 'must be an integer 1-65535');
  return {
    querier: {
      target: options.label ?? fallbackLabel,
      server: options.server,
      resolvConfPath: options.resolvConfPath ?? DEFAULT_RESOLV_CONF_PATH,
      systemPort,
      timeoutMs,
      transport: options.transport ?? socketTransport,
    },
    delay: (ttlSeconds: number | undefined, negative: boolean) =>
      refreshDelayMs(ttlSeconds, { minMs, maxMs, fallbackMs: negative ? DEFAULT_DNS_NEGATIVE_REFRESH_MS : maxMs }),
  };
}

function nonNegative(option: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new InvalidOptionError(option, value, 'must be a finite number ≥ 0');
  return value;
}
