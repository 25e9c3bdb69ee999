import { isIP } from 'node:net';
import { InvalidTargetError, parseHostPort, type ParsedTarget } from '@wayfinder/core';

/** The DNS port (RFC 1035). */
export const DNS_PORT = 53;

/** A DNS server to ask: an IP address and a port. */
export interface DnsServer {
  readonly address: string;
  readonly port: number;
}

/** Refresh and timeout settings a target may carry as query parameters. */
export interface DnsTimingOverrides {
  minRefreshMs?: number;
  maxRefreshMs?: number;
  timeoutMs?: number;
}

/** A parsed `dns-srv://` target. */
export interface DnsSrvTarget extends DnsTimingOverrides {
  /** The server from the authority, or undefined for the system resolvers. */
  readonly server: DnsServer | undefined;
  /** The SRV owner name without a trailing dot, e.g. `_http._tcp.planner.svc.test`. */
  readonly name: string;
}

/** A parsed `dns://` target. */
export interface DnsAddressTarget extends DnsTimingOverrides {
  readonly server: DnsServer | undefined;
  /** The host whose A/AAAA records are read, without a trailing dot. */
  readonly name: string;
  readonly port: number;
}

const LABEL_RE = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;
const TIMING_PARAMS = ['minRefreshMs', 'maxRefreshMs', 'timeoutMs'] as const;

/**
 * Parses `dns-srv://[server[:port]]/_service._proto.name[?minRefreshMs=&maxRefreshMs=&timeoutMs=]`
 * (RFC 2782 names). Throws {@link InvalidTargetError} naming what is wrong.
 */
export function parseDnsSrvTarget(target: ParsedTarget, defaultPort = DNS_PORT): DnsSrvTarget {
  const name = pathName(target, '_service._proto.name', 'dns-srv://[server[:port]]/_http._tcp.example.internal');
  const labels = name.split('.');
  if (labels.length < 3 || !labels[0]!.startsWith('_') || !labels[1]!.startsWith('_')) {
    throw new InvalidTargetError(target.raw, `"${name}" is not an SRV name (expected _service._proto.name, e.g. _http._tcp.example.internal; RFC 2782)`);
  }
  return { server: parseServer(target, defaultPort), name, ...parseTiming(target) };
}

/**
 * Parses `dns://[server[:port]]/host:port[?minRefreshMs=&maxRefreshMs=&timeoutMs=]`: the A/AAAA
 * records of `host` (a Kubernetes headless service), each address with `port`.
 */
export function parseDnsAddressTarget(target: ParsedTarget, defaultPort = DNS_PORT): DnsAddressTarget {
  if (target.path === '' || target.path === '/') {
    throw new InvalidTargetError(target.raw, 'missing host:port (expected dns://[server[:port]]/host:port)');
  }
  const { host, port } = parseHostPort(target.path.slice(1), target.raw);
  if (isIP(host) !== 0) throw new InvalidTargetError(target.raw, `"${host}" is an IP address, not a name to resolve (use static://${target.path.slice(1)})`);
  const name = checkName(target, host);
  return { server: parseServer(target, defaultPort), name, port, ...parseTiming(target) };
}

function pathName(target: ParsedTarget, what: string, example: string): string {
  if (target.path === '' || target.path === '/') {
    const hint = target.authority !== '' && !/^[\d.[\]:]+$/.test(target.authority) ? ` (the name goes in the path: ${target.scheme}:///${target.authority})` : '';
    throw new InvalidTargetError(target.raw, `missing ${what} (expected ${example})${hint}`);
  }
  return checkName(target, target.path.slice(1));
}

function checkName(target: ParsedTarget, text: string): string {
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  if (name.length === 0 || name.length > 253) throw new InvalidTargetError(target.raw, `invalid DNS name "${text}" (1-253 characters)`);
  for (const label of name.split('.')) {
    if (!LABEL_RE.test(label)) throw new InvalidTargetError(target.raw, `invalid DNS name "${text}": bad label "${label}"`);
  }
  return name;
}

function parseServer(target: ParsedTarget, defaultPort: number): DnsServer | undefined {
  if (target.authority === '') return undefined;
  const { host, port } = parseHostPort(target.authority, target.raw, defaultPort);
  if (isIP(host) === 0) throw new InvalidTargetError(target.raw, `the DNS server "${host}" must be an IP address (e.g. 10.0.0.10:53 or [fd00::a]:53)`);
  return { address: host, port };
}

function parseTiming(target: ParsedTarget): DnsTimingOverrides {
  const out: DnsTimingOverrides = {};
  for (const key of target.query.keys()) {
    if (!(TIMING_PARAMS as readonly string[]).includes(key)) {
      throw new InvalidTargetError(target.raw, `unknown query parameter "${key}" (known: ${TIMING_PARAMS.join(', ')})`);
    }
  }
  for (const key of TIMING_PARAMS) {
    const text = target.query.get(key);
    if (text === null) continue;
    if (!/^\d{1,9}$/.test(text)) throw new InvalidTargetError(target.raw, `query parameter ${key}="${text}" must be a whole number of milliseconds`);
    const value = Number(text);
    if (key === 'timeoutMs' && value === 0) throw new InvalidTargetError(target.raw, 'query parameter timeoutMs must be at least 1');
    out[key] = value;
  }
  if (out.minRefreshMs !== undefined && out.maxRefreshMs !== undefined && out.minRefreshMs > out.maxRefreshMs) {
    throw new InvalidTargetError(target.raw, `minRefreshMs (${out.minRefreshMs}) is above maxRefreshMs (${out.maxRefreshMs})`);
  }
  return out;
}
