import { isIP } from 'node:net';
import { DNS_PORT, type DnsServer } from './target.js';

/** Where the system's resolvers are listed (resolv.conf(5)). */
export const DEFAULT_RESOLV_CONF_PATH = '/etc/resolv.conf';

/**
 * The `nameserver` lines of a resolv.conf(5) text, in order, as servers on `port`. Comments
 * (`#`, `;`), other keywords and invalid addresses are ignored; an IPv6 zone (`fe80::1%eth0`) is
 * kept. Search domains are not applied: Wayfinder names are absolute.
 *
 * @example
 * parseResolvConf('nameserver 10.96.0.10\nsearch default.svc.cluster.local\n'); // [{ address: '10.96.0.10', port: 53 }]
 */
export function parseResolvConf(text: string, port = DNS_PORT): DnsServer[] {
  const servers: DnsServer[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [keyword, address] = line.split(/\s+/);
    if (keyword !== 'nameserver' || address === undefined) continue;
    if (isIP(address.split('%')[0]!) === 0) continue;
    servers.push({ address, port });
  }
  return servers;
}
