/**
 * DNS sources: `dns-srv://` (RFC 2782 SRV records) and `dns://` (A/AAAA records of a name, such as
 * a Kubernetes headless service). Answers are read with `dns-packet` over UDP with TCP fallback,
 * so TTLs drive the refresh. Guide: docs/dns.md.
 */
import type { SchemeMap, SourceFactory } from '@wayfinder/core';
import { dnsAddress, dnsSrv, type DnsSourceOptions } from './source.js';
import { DNS_PORT, parseDnsAddressTarget, parseDnsSrvTarget } from './target.js';

export {
  dnsSrv,
  dnsAddress,
  type DnsSourceOptions,
  type DnsSrvOptions,
  type DnsAddressOptions,
  DEFAULT_DNS_MIN_REFRESH_MS,
  DEFAULT_DNS_MAX_REFRESH_MS,
  DEFAULT_DNS_QUERY_TIMEOUT_MS,
  DEFAULT_DNS_NEGATIVE_REFRESH_MS,
} from './source.js';
export { DnsQueryError, type DnsFailure } from './errors.js';
export { type DnsServer, type DnsSrvTarget, type DnsAddressTarget, parseDnsSrvTarget, parseDnsAddressTarget, DNS_PORT } from './target.js';
export { parseResolvConf, DEFAULT_RESOLV_CONF_PATH } from './resolv-conf.js';
export { type DnsTransport, type DnsExchange, DnsIoError, socketTransport } from './transport.js';
export { type SrvRecord, srvEndpoints } from './parse.js';

/** Settings for every target of {@link createDnsSchemes}; a target's query parameters win. */
export type DnsSchemeOptions = Omit<DnsSourceOptions, 'server' | 'label'>;

/**
 * The `dns-srv` and `dns` schemes with the given defaults (a resolv.conf path, refresh bounds,
 * a transport). Target query parameters `minRefreshMs`, `maxRefreshMs` and `timeoutMs` override them.
 *
 * @example
 * const schemes = { ...coreSchemes, ...createDnsSchemes({ maxRefreshMs: 10_000 }) };
 * createResolver({ target: 'dns-srv:///_http._tcp.planner.svc.cluster.local', schemes });
 */
export function createDnsSchemes(options: DnsSchemeOptions = {}): SchemeMap {
  const port = DNS_PORT;
  const srv: SourceFactory = (target) => {
    const parsed = parseDnsSrvTarget(target, port);
    return dnsSrv({ ...options, ...timing(parsed), ...(parsed.server ? { server: parsed.server } : {}), name: parsed.name, label: target.raw });
  };
  const address: SourceFactory = (target) => {
    const parsed = parseDnsAddressTarget(target, port);
    return dnsAddress({ ...options, ...timing(parsed), ...(parsed.server ? { server: parsed.server } : {}), name: parsed.name, port: parsed.port, label: target.raw });
  };
  return Object.freeze({ 'dns-srv': srv, dns: address });
}

function timing(t: { minRefreshMs?: number; maxRefreshMs?: number; timeoutMs?: number }): DnsSchemeOptions {
  return {
    ...(t.minRefreshMs !== undefined ? { minRefreshMs: t.minRefreshMs } : {}),
    ...(t.maxRefreshMs !== undefined ? { maxRefreshMs: t.maxRefreshMs } : {}),
    ...(t.timeoutMs !== undefined ? { timeoutMs: t.timeoutMs } : {}),
  };
}

/** `dns-srv://[server[:port]]/_service._proto.name` and `dns://[server[:port]]/host:port` with default settings. */
export const dnsSchemes: SchemeMap = createDnsSchemes();
