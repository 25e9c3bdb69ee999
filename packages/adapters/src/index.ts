/**
 * `@wayfinder/adapters`: sources for DNS (SRV, A/AAAA), the Wayfinder HTTP registry, Kubernetes
 * EndpointSlices and etcd, plus the dev registry server and self-registration.
 *
 * Pass {@link adapterSchemes} to a resolver or client to enable every scheme:
 * `createClient({ schemes: { ...coreSchemes, ...adapterSchemes } })`.
 */
import type { SchemeMap } from '@wayfinder/core';
import { dnsSchemes } from './dns/index.js';
import { etcdSchemes } from './etcd/index.js';
import { k8sSchemes } from './k8s/index.js';
import { registrySchemes } from './registry/index.js';

export * from './dns/index.js';
export * from './registry/index.js';
export * from './k8s/index.js';
export * from './etcd/index.js';
export * from './register.js';
export * from './registration.js';

/** Every scheme of this package: `dns-srv`, `dns`, `registry+http(s)`, `k8s`, `etcd`. */
export const adapterSchemes: SchemeMap = Object.freeze({ ...dnsSchemes, ...registrySchemes, ...k8sSchemes, ...etcdSchemes });
