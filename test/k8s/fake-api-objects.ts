/**
 * The JSON documents of the fake API server, shaped as kube-apiserver 1.3x sends them: Status
 * objects, discovery documents, EndpointSlices and `meta.k8s.io/v1` Tables.
 */

export interface SliceEndpoint {
  addresses: string[];
  conditions?: { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null };
  hostname?: string;
  nodeName?: string;
  zone?: string;
  hints?: { forZones?: { name: string }[]; forNodes?: { name: string }[] };
  targetRef?: { kind: string; namespace: string; name: string; uid: string };
}

export interface Slice {
  metadata: {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
    resourceVersion?: string;
    uid?: string;
    generation?: number;
    creationTimestamp?: string;
  };
  addressType: string;
  endpoints: SliceEndpoint[] | null;
  ports: { name?: string; port?: number; protocol?: string }[] | null;
}

/** An EndpointSlice of `service` as the EndpointSlice controller writes one. */
export function slice(options: {
  name: string;
  service: string;
  namespace?: string;
  endpoints: SliceEndpoint[];
  ports?: { name?: string; port?: number; protocol?: string }[];
}): Slice {
  return {
    metadata: {
      name: options.name,
      namespace: options.namespace ?? 'default',
      labels: { 'kubernetes.io/service-name': options.service, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
    },
    addressType: 'IPv4',
    endpoints: options.endpoints,
    ports: options.ports ?? [{ name: 'http', port: 8080, protocol: 'TCP' }],
  };
}

/** A ready pod endpoint, as the controller publishes it. */
export function podEndpoint(ip: string, extra: Partial<SliceEndpoint> = {}): SliceEndpoint {
  const name = `pod-${ip.replaceAll('.', '-')}`;
  return {
    addresses: [ip],
    conditions: { ready: true, serving: true, terminating: false },
    nodeName: 'node-a',
    zone: 'zone-a',
    targetRef: { kind: 'Pod', namespace: 'default', name, uid: `uid-${name}` },
    ...extra,
  };
}

export function statusBody(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

/** `/version`, `/api`, `/api/v1`, `/apis`, `/apis/discovery.k8s.io[/v1]`, or undefined. */
export function discoveryDocument(pathname: string, serverAddress: string): unknown {
  const group = {
    name: 'discovery.k8s.io',
    versions: [{ groupVersion: 'discovery.k8s.io/v1', version: 'v1' }],
    preferredVersion: { groupVersion: 'discovery.k8s.io/v1', version: 'v1' },
  };
  switch (pathname.replace(/\/+$/, '') || '/') {
    case '/version':
      return { major: '1', minor: '32', gitVersion: 'v1.32.0-fake', gitCommit: '0', gitTreeState: 'clean', buildDate: '2025-01-01T00:00:00Z', goVersion: 'go1.23', compiler: 'gc', platform: 'linux/amd64' };
    case '/api':
      return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
    case '/api/v1':
      return {
        kind: 'APIResourceList',
        groupVersion: 'v1',
        resources: [{ name: 'namespaces', singularName: 'namespace', namespaced: false, kind: 'Namespace', verbs: ['get', 'list', 'watch'], shortNames: ['ns'] }],
      };
    case '/apis':
      return { kind: 'APIGroupList', apiVersion: 'v1', groups: [group] };
    case '/apis/discovery.k8s.io':
      return { kind: 'APIGroup', apiVersion: 'v1', ...group };
    case '/apis/discovery.k8s.io/v1':
      return {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: 'discovery.k8s.io/v1',
        resources: [
          {
            name: 'endpointslices',
            singularName: 'endpointslice',
            namespaced: true,
            kind: 'EndpointSlice',
            verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
            storageVersionHash: 'Nx3SIv6I0mE=',
          },
        ],
      };
    default:
      return undefined;
  }
}

const COLUMNS = [
  { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 },
  { name: 'AddressType', type: 'string', format: '', description: 'addressType specifies the type of address carried by this EndpointSlice.', priority: 0 },
  { name: 'Ports', type: 'string', format: '', description: 'ports specifies the list of network ports exposed by each endpoint in this slice.', priority: 0 },
  { name: 'Endpoints', type: 'string', format: '', description: 'endpoints is a list of unique endpoints in this slice.', priority: 0 },
  { name: 'Age', type: 'string', format: '', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.', priority: 0 },
];

/** A `meta.k8s.io/v1` Table of slices, as `kubectl get` asks for (`Accept: …;as=Table`). */
export function tableOf(items: Slice[], resourceVersion: string, includeObject: string, withColumns: boolean): Record<string, unknown> {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    ...(withColumns ? { columnDefinitions: COLUMNS } : {}),
    rows: items.map((o) => {
      const ports = o.ports?.length ? o.ports.map((p) => String(p.port ?? '<unset>')).join(',') : '<unset>';
      const addresses = (o.endpoints ?? []).flatMap((e) => e.addresses.slice(0, 1));
      const endpoints = addresses.length === 0 ? '<unset>' : addresses.length > 3 ? `${addresses.slice(0, 3).join(',')} + ${addresses.length - 3} more...` : addresses.join(',');
      const row: Record<string, unknown> = { cells: [o.metadata.name, o.addressType, ports, endpoints, '1m'] };
      if (includeObject === 'Object') row.object = { kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', ...o };
      else if (includeObject !== 'None') row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
      return row;
    }),
  };
}
