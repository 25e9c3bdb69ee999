import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type FakeApiServer, type FakeApiServerOptions, startFakeApiServer } from './fake-api-server.js';

/** A CA and a server certificate for 127.0.0.1, made with openssl for one test file. */
export function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=fake-kubernetes-ca', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  run(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=kube-apiserver']);
  writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n');
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'ext.cnf']);
  return {
    ca: readFileSync(path.join(dir, 'ca.crt'), 'utf8'),
    cert: readFileSync(path.join(dir, 'server.crt'), 'utf8'),
    key: readFileSync(path.join(dir, 'server.key'), 'utf8'),
  };
}

/** A kubeconfig as `kubectl config` writes it: CA data, a bearer token, a current context. */
export function kubeconfigYaml(options: { server: string; ca?: string; token?: string; namespace?: string; insecure?: boolean }): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- cluster:',
    ...(options.ca ? [`    certificate-authority-data: ${Buffer.from(options.ca).toString('base64')}`] : []),
    ...(options.insecure ? ['    insecure-skip-tls-verify: true'] : []),
    `    server: ${options.server}`,
    '  name: fake',
    'contexts:',
    '- context:',
    '    cluster: fake',
    ...(options.namespace ? [`    namespace: ${options.namespace}`] : []),
    '    user: wayfinder',
    '  name: fake-context',
    'current-context: fake-context',
    'preferences: {}',
    'users:',
    '- name: wayfinder',
    '  user:',
    ...(options.token ? [`    token: ${options.token}`] : []),
    '',
  ].join('\n');
}

export const GOOD_TOKEN = 'good-token-0123456789';
export const FORBIDDEN_TOKEN = 'forbidden-token-0123456789';

export interface TestCluster {
  readonly server: FakeApiServer;
  readonly dir: string;
  readonly ca: string;
  /** Writes a kubeconfig for `token` (default the good one) and returns its path. */
  kubeconfig(options?: { token?: string; namespace?: string; name?: string }): string;
  close(): Promise<void>;
}

/** The fake API server over https with its own CA, and kubeconfigs for it. */
export async function startTestCluster(options: FakeApiServerOptions = {}): Promise<TestCluster> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wayfinder-k8s-'));
  const certs = makeCertificates(dir);
  const server = await startFakeApiServer({
    tls: { key: certs.key, cert: certs.cert },
    tokens: {
      [GOOD_TOKEN]: { user: 'system:serviceaccount:default:wayfinder', allow: true },
      [FORBIDDEN_TOKEN]: { user: 'system:serviceaccount:default:nobody', allow: false },
    },
    ...options,
  });
  return {
    server,
    dir,
    ca: certs.ca,
    kubeconfig({ token = GOOD_TOKEN, namespace, name = 'kubeconfig' } = {}) {
      const file = path.join(dir, name);
      writeFileSync(file, kubeconfigYaml({ server: server.url, ca: certs.ca, token, ...(namespace ? { namespace } : {}) }));
      return file;
    },
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
