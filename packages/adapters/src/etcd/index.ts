import type { SchemeMap } from '@wayfinder/core';
import { etcdSourceFactory } from './source.js';

export { etcdSource, etcdSourceFactory, type EtcdSourceOptions, ETCD_DEFAULT_PROGRESS_NOTIFY_MS } from './source.js';
export { parseEtcdTarget, type EtcdTarget } from './target.js';
export { parseKeyValue, parseRange, parseWatchResponse, type WatchStep } from './parse.js';
export { EtcdStatusError } from './gateway.js';

/** Schemes served by this adapter: `etcd://host:port[,host:port…]/key-prefix`. */
export const etcdSchemes: SchemeMap = Object.freeze({ etcd: etcdSourceFactory });
export { registerEtcd, type EtcdRegisterOptions, DEFAULT_ETCD_TTL_SECONDS, DEFAULT_ETCD_DRAIN_MS } from './register.js';
