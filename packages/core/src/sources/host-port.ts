import { InvalidTargetError } from '../errors.js';

/**
 * Parses `host:port`, `[v6]:port` or a bare IPv6 with brackets into parts. `defaultPort` applies
 * when the port is missing; without one a missing port is an error naming the target.
 */
export function parseHostPort(text: string, target: string, defaultPort?: number): { host: string; port: number } {
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0) throw new InvalidTargetError(target, `unclosed "[" in "${text}"`);
    host = text.slice(1, end);
    const rest = text.slice(end + 1);
    if (rest !== '' && !rest.startsWith(':')) throw new InvalidTargetError(target, `unexpected "${rest}" after "[${host}]"`);
    portText = rest === '' ? undefined : rest.slice(1);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon >= 0 && text.indexOf(':') !== colon) throw new InvalidTargetError(target, `IPv6 address "${text}" must be written in brackets, e.g. [::1]:8080`);
    host = colon < 0 ? text : text.slice(0, colon);
    portText = colon < 0 ? undefined : text.slice(colon + 1);
  }
  if (host === '') throw new InvalidTargetError(target, `missing host in "${text}"`);
  if (!/^[A-Za-z0-9._:%-]+$/.test(host)) throw new InvalidTargetError(target, `invalid host "${host}"`);
  if (portText === undefined) {
    if (defaultPort === undefined) throw new InvalidTargetError(target, `missing port in "${text}" (expected host:port)`);
    return { host, port: defaultPort };
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
    throw new InvalidTargetError(target, `invalid port "${portText}" in "${text}" (expected 1-65535)`);
  }
  return { host, port: Number(portText) };
}
