import { ResourceExpiredError, SourceError } from '@wayfinder/core';
import { statusSchema, type K8sStatus } from './parse.js';

/** What an error message needs to say where the failure happened. */
export interface RequestScope {
  readonly label: string;
  readonly server: string;
  readonly namespace: string;
  readonly credentials: string;
  readonly verb: 'list' | 'watch';
}

const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** Reads a `metav1.Status` from an error body (bounded), or undefined. */
export function parseStatus(text: string): K8sStatus | undefined {
  if (text.length > MAX_ERROR_BODY_BYTES) text = text.slice(0, MAX_ERROR_BODY_BYTES);
  try {
    const parsed = statusSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Turns an API error into a Wayfinder error: 410 → {@link ResourceExpiredError} (list again);
 * 401/403/404 → a permanent {@link SourceError} naming the credentials used and the permission
 * missing; anything else → a transient one (the resolver backs off and retries).
 */
export function apiError(scope: RequestScope, code: number, status: K8sStatus | undefined): Error {
  const said = status?.message ? ` (the server said: ${status.message})` : '';
  const what = `endpointslices.discovery.k8s.io in namespace "${scope.namespace}"`;
  switch (code) {
    case 410:
      return new ResourceExpiredError(scope.label, `resource version expired (410 Gone)${said}, listing again`);
    case 401:
      return new SourceError(scope.label, `401 Unauthorized from ${scope.server} using ${scope.credentials}: the credentials were rejected (expired or wrong token or certificate)${said}`, {
        permanent: true,
      });
    case 403:
      return new SourceError(
        scope.label,
        `403 Forbidden from ${scope.server} using ${scope.credentials}: missing permission to ${scope.verb} ${what}; grant "list" and "watch" on endpointslices (apiGroups: discovery.k8s.io) with a Role and RoleBinding${said}`,
        { permanent: true },
      );
    case 404:
      return new SourceError(scope.label, `404 Not Found from ${scope.server}: the server does not serve discovery.k8s.io/v1 EndpointSlices (Kubernetes 1.21 or newer is needed)${said}`, {
        permanent: true,
      });
    default:
      return new SourceError(scope.label, `${scope.verb} ${what} failed with HTTP ${code} from ${scope.server}${said}`);
  }
}

/** Wraps a transport failure (refused, reset, TLS) in a transient SourceError. */
export function transportError(scope: RequestScope, error: unknown): SourceError {
  const e = error as Error & { code?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  const detail = e.cause?.message && e.cause.message !== e.message ? `${e.message}: ${e.cause.message}` : e.message;
  const tls = typeof code === 'string' && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code);
  const hint = tls ? ' (TLS verification failed: check certificate-authority(-data) of the cluster in the kubeconfig)' : '';
  return new SourceError(scope.label, `cannot ${scope.verb} endpointslices on ${scope.server}: ${detail}${code && !detail.includes(code) ? ` [${code}]` : ''}${hint}`, {
    cause: error,
  });
}
