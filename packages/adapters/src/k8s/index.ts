import type { SchemeMap, SourceFactory } from '@wayfinder/core';
import { k8sEndpointSlices } from './source.js';
import { parseK8sTarget } from './target.js';

export { k8sEndpointSlices, DEFAULT_WATCH_TIMEOUT_SECONDS, type K8sEndpointSlicesOptions } from './source.js';
export { parseK8sTarget, type K8sTarget } from './target.js';
export { loadClusterConfig, SERVICE_ACCOUNT_DIR, type ClusterConfig } from './config.js';
export { parseKubeconfig, KubeconfigError } from './kubeconfig.js';
export { sliceToEndpoints, choosePort, mergeDuplicates, endpointSliceSchema, type EndpointSlice } from './parse.js';
export { createSliceStore, type SliceStore, type SliceChanges } from './slice-store.js';

/**
 * `k8s://[namespace/]service[:port-name]`: the endpoints of a Kubernetes Service from its
 * EndpointSlices. Query parameters: `api` (an explicit API URL such as `kubectl proxy`'s
 * `http://127.0.0.1:8001`), `kubeconfig` (a file), `context` (a kubeconfig context).
 * See `docs/kubernetes.md`.
 *
 * @example
 * createResolver({ target: 'k8s://agents/planner:grpc', schemes: { ...coreSchemes, ...k8sSchemes } });
 */
export const k8sSourceFactory: SourceFactory = (target, context) => {
  const parsed = parseK8sTarget(target);
  return k8sEndpointSlices({ ...parsed, env: context.env, label: target.raw });
};

/** Schemes served by this adapter: `k8s`. */
export const k8sSchemes: SchemeMap = Object.freeze({ k8s: k8sSourceFactory });
