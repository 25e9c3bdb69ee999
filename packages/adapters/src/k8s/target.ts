import { InvalidTargetError, type ParsedTarget } from '@wayfinder/core';

/** What a `k8s://[namespace/]service[:port-name]` target names. */
export interface K8sTarget {
  /** Absent: the kubeconfig context's namespace, else the pod's own, else `default`. */
  readonly namespace?: string;
  readonly service: string;
  /** Absent: the service must have exactly one port. */
  readonly portName?: string;
  /** `?api=http://127.0.0.1:8001`: talk to this API URL (e.g. `kubectl proxy`) without credentials. */
  readonly api?: string;
  /** `?kubeconfig=/path`: this kubeconfig instead of `KUBECONFIG` / `~/.kube/config`. */
  readonly kubeconfig?: string;
  /** `?context=name`: this kubeconfig context instead of `current-context`. */
  readonly context?: string;
}

// RFC 1123 label, as Kubernetes validates namespace and Service names.
const DNS_LABEL_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const PORT_NAME_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const QUERY_KEYS = new Set(['api', 'kubeconfig', 'context']);

/**
 * Parses `k8s://[namespace/]service[:port-name][?api=…&kubeconfig=…&context=…]`. Throws
 * {@link InvalidTargetError} naming the part that is wrong.
 *
 * @example
 * parseK8sTarget(parseTarget('k8s://agents/planner:grpc')); // { namespace: 'agents', service: 'planner', portName: 'grpc' }
 */
export function parseK8sTarget(target: ParsedTarget): K8sTarget {
  const usage = '(expected k8s://[namespace/]service[:port-name])';
  let namespace: string | undefined;
  let rest: string;
  if (target.path === '' || target.path === '/') {
    rest = target.authority;
  } else {
    namespace = target.authority;
    rest = target.path.slice(1);
    if (rest.includes('/')) throw new InvalidTargetError(target.raw, `too many path segments ${usage}`);
  }
  const colon = rest.indexOf(':');
  const service = colon < 0 ? rest : rest.slice(0, colon);
  const portName = colon < 0 ? undefined : rest.slice(colon + 1);
  if (service === '') throw new InvalidTargetError(target.raw, `missing service name ${usage}`);
  if (namespace !== undefined && !DNS_LABEL_RE.test(namespace)) {
    throw new InvalidTargetError(target.raw, `invalid namespace "${namespace}" (a lower-case RFC 1123 label)`);
  }
  if (!DNS_LABEL_RE.test(service)) throw new InvalidTargetError(target.raw, `invalid service name "${service}" (a lower-case RFC 1123 label)`);
  if (portName !== undefined && !PORT_NAME_RE.test(portName)) {
    throw new InvalidTargetError(target.raw, `invalid port name "${portName}" (lower-case letters, digits and "-")`);
  }
  for (const key of target.query.keys()) {
    if (!QUERY_KEYS.has(key)) throw new InvalidTargetError(target.raw, `unknown query parameter "${key}" (known: api, kubeconfig, context)`);
  }
  const api = target.query.get('api') ?? undefined;
  if (api !== undefined) {
    let url: URL;
    try {
      url = new URL(api);
    } catch {
      throw new InvalidTargetError(target.raw, `api "${api}" is not a URL (e.g. http://127.0.0.1:8001)`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidTargetError(target.raw, `api "${api}" must be http:// or https://`);
  }
  const kubeconfig = target.query.get('kubeconfig') ?? undefined;
  const context = target.query.get('context') ?? undefined;
  return {
    ...(namespace !== undefined ? { namespace } : {}),
    service,
    ...(portName !== undefined ? { portName } : {}),
    ...(api !== undefined ? { api } : {}),
    ...(kubeconfig ? { kubeconfig } : {}),
    ...(context ? { context } : {}),
  };
}
