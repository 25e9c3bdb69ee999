import { InvalidTargetError, type ParsedTarget, parseHostPort } from '@wayfinder/core';

/** What an `etcd://` target names: the members' gateway origins and the key prefix. */
export interface EtcdTarget {
  /** `http://host:port` of each member, in the order given (the first is tried first). */
  readonly members: readonly string[];
  /** The key prefix, exactly as stored in etcd (may start with `/`). */
  readonly prefix: string;
  /** Expected server progress-notify interval (`?progress-notify-ms=`), if given. */
  readonly progressNotifyMs?: number;
}

const DEFAULT_CLIENT_PORT = 2379;

/**
 * Parses `etcd://host:port[,host:port…]/key-prefix`. The prefix is the path without its first
 * slash, percent-decoded: `etcd://h:2379/services/planner/` watches `services/planner/…`, and
 * `etcd://h:2379//services/planner/` watches `/services/planner/…`. A member without a port uses
 * 2379. Throws {@link InvalidTargetError} naming what is wrong.
 */
export function parseEtcdTarget(target: ParsedTarget): EtcdTarget {
  const items = target.authority.split(',').filter((s) => s !== '');
  if (items.length === 0) throw new InvalidTargetError(target.raw, 'lists no etcd members (expected etcd://host:port[,host:port…]/key-prefix)');
  const members: string[] = [];
  for (const item of items) {
    const { host, port } = parseHostPort(item, target.raw, DEFAULT_CLIENT_PORT);
    const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    if (members.includes(origin)) throw new InvalidTargetError(target.raw, `lists member ${item} twice`);
    members.push(origin);
  }
  if (!target.path.startsWith('/') || target.path.length < 2) {
    throw new InvalidTargetError(target.raw, 'missing key prefix (expected etcd://host:port/key-prefix, e.g. etcd://127.0.0.1:2379/services/planner/)');
  }
  let prefix: string;
  try {
    prefix = decodeURIComponent(target.path.slice(1));
  } catch {
    throw new InvalidTargetError(target.raw, 'the key prefix is not valid percent-encoding');
  }
  const extra = [...target.query.keys()].filter((k) => k !== 'progress-notify-ms');
  if (extra.length > 0) throw new InvalidTargetError(target.raw, `unknown query parameter "${extra[0]}" (known: progress-notify-ms)`);
  const notify = target.query.get('progress-notify-ms');
  if (notify === null) return { members, prefix };
  if (!/^\d{1,9}$/.test(notify) || Number(notify) < 1) throw new InvalidTargetError(target.raw, `progress-notify-ms must be a positive integer, got "${notify}"`);
  return { members, prefix, progressNotifyMs: Number(notify) };
}

/** etcd's `range_end` for a prefix: the prefix with its last byte incremented (`"\0"` = to the end). */
export function prefixRangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}
