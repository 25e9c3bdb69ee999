import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { kubeconfigPaths, KubeconfigError, loadKubeconfig, type KubeconfigCluster, type KubeconfigUser } from './kubeconfig.js';

/** Where a pod's service-account files live (token, ca.crt, namespace). */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** How to reach and authenticate to one API server. Holds no secret in a printable field. */
export interface ClusterConfig {
  /** The API server URL (its path, if any, prefixes every request). */
  readonly server: URL;
  readonly ca?: string | Buffer;
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  readonly insecureSkipTlsVerify: boolean;
  readonly tlsServerName?: string;
  /** The bearer token, read again for every request (service-account tokens rotate). */
  readonly token?: () => Promise<string | undefined>;
  /** The namespace of the kubeconfig context, or the pod's own. */
  readonly namespace?: string;
  /** Which credentials are used, for error messages (never the secret itself). */
  readonly credentials: string;
}

export interface ClusterConfigInput {
  readonly api?: string;
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly serviceAccountDir?: string;
}

/**
 * Finds the cluster as client-go's default loading rules do: an explicit API URL (`?api=`, no
 * credentials: `kubectl proxy` adds them), else a kubeconfig (`?kubeconfig=`, `KUBECONFIG`,
 * `~/.kube/config`), else in-cluster (`KUBERNETES_SERVICE_HOST`/`_PORT` and the service-account
 * files). Throws {@link KubeconfigError} when none applies or a file is unusable.
 */
export async function loadClusterConfig(input: ClusterConfigInput): Promise<ClusterConfig> {
  if (input.api) return { server: new URL(input.api), insecureSkipTlsVerify: false, credentials: `no credentials (explicit API URL ${input.api})` };
  const files = kubeconfigPaths(input.env, input.kubeconfig);
  const selection = await loadKubeconfig(files, input.context);
  if (selection) {
    const where = `kubeconfig ${selection.files.join(':')}, context "${selection.contextName}"`;
    const tls = await clusterTls(selection.cluster, where);
    const auth = await userAuth(selection.user, selection.userName, where);
    return { server: parseServer(selection.cluster.server!, where), ...tls, ...auth, ...(selection.namespace ? { namespace: selection.namespace } : {}) };
  }
  const host = input.env.KUBERNETES_SERVICE_HOST;
  const port = input.env.KUBERNETES_SERVICE_PORT;
  if (host && port) return inCluster(host, port, input.serviceAccountDir ?? SERVICE_ACCOUNT_DIR);
  throw new KubeconfigError(
    `no Kubernetes configuration found: no kubeconfig at ${files.join(', ') || '~/.kube/config'} and not in a cluster (KUBERNETES_SERVICE_HOST unset); set KUBECONFIG or add ?api=http://127.0.0.1:8001 (kubectl proxy) to the target`,
  );
}

async function inCluster(host: string, port: string, dir: string): Promise<ClusterConfig> {
  const tokenFile = path.join(dir, 'token');
  const ca = await readFile(path.join(dir, 'ca.crt')).catch(() => undefined);
  const namespace = (await readFile(path.join(dir, 'namespace'), 'utf8').catch(() => '')).trim();
  return {
    server: new URL(`https://${host.includes(':') ? `[${host}]` : host}:${port}`),
    ...(ca ? { ca } : {}),
    insecureSkipTlsVerify: false,
    token: async () => (await readFile(tokenFile, 'utf8')).trim() || undefined,
    ...(namespace ? { namespace } : {}),
    credentials: `the service-account token ${tokenFile} (in-cluster)`,
  };
}

function parseServer(server: string, where: string): URL {
  try {
    return new URL(server);
  } catch {
    throw new KubeconfigError(`${where}: server "${server}" is not a URL`);
  }
}

async function clusterTls(cluster: KubeconfigCluster, where: string): Promise<Pick<ClusterConfig, 'ca' | 'insecureSkipTlsVerify' | 'tlsServerName'>> {
  const ca = await dataOrFile(cluster['certificate-authority-data'], cluster['certificate-authority'], cluster.dir, `${where}: certificate-authority`);
  return {
    ...(ca ? { ca } : {}),
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
    ...(cluster['tls-server-name'] ? { tlsServerName: cluster['tls-server-name'] } : {}),
  };
}

async function userAuth(user: KubeconfigUser | undefined, userName: string | undefined, where: string): Promise<Pick<ClusterConfig, 'cert' | 'key' | 'token' | 'credentials'>> {
  if (!user) return { credentials: `no credentials (${where} has no user)` };
  const who = `user "${userName}" of ${where}`;
  const cert = await dataOrFile(user['client-certificate-data'], user['client-certificate'], user.dir, `${who}: client-certificate`);
  const key = await dataOrFile(user['client-key-data'], user['client-key'], user.dir, `${who}: client-key`);
  if ((cert === undefined) !== (key === undefined)) throw new KubeconfigError(`${who} has a client certificate without its key (or a key without its certificate)`);
  const parts: string[] = [];
  let token: ClusterConfig['token'];
  if (user.token) {
    const value = user.token;
    token = async () => value;
    parts.push('a bearer token');
  } else if (user.tokenFile) {
    const file = path.resolve(user.dir, user.tokenFile);
    token = async () => (await readFile(file, 'utf8')).trim() || undefined;
    parts.push(`the bearer token file ${file}`);
  }
  if (cert) parts.push('a client certificate');
  if (parts.length === 0) {
    const plugin = user.exec ? 'an exec credential plugin' : user['auth-provider'] ? 'an auth-provider plugin' : user.username ? 'basic auth' : undefined;
    return { credentials: plugin ? `no credentials (${who} uses ${plugin}, which Wayfinder does not run; use kubectl proxy and ?api=http://127.0.0.1:8001)` : `no credentials (${who} has none)` };
  }
  return { ...(cert && key ? { cert, key } : {}), ...(token ? { token } : {}), credentials: `${parts.join(' and ')} of ${who}` };
}

async function dataOrFile(data: string | undefined, file: string | undefined, dir: string, what: string): Promise<Buffer | undefined> {
  if (data) return Buffer.from(data, 'base64');
  if (!file) return undefined;
  const absolute = path.resolve(dir, file);
  try {
    return await readFile(absolute);
  } catch (error) {
    throw new KubeconfigError(`${what}: cannot read ${absolute}: ${(error as Error).message}`);
  }
}
