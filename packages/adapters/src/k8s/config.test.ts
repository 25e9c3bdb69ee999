import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadClusterConfig } from './config.js';
import { KubeconfigError, parseKubeconfig } from './kubeconfig.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'wayfinder-kubeconfig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

const KUBECTL_WRITTEN = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: ${Buffer.from('CA PEM').toString('base64')}
    server: https://10.1.2.3:6443
  name: prod
- cluster:
    insecure-skip-tls-verify: true
    server: "https://dev.example:443/k8s/clusters/c-1"
  name: dev
contexts:
- context:
    cluster: prod
    namespace: agents
    user: admin
  name: prod-admin
- context:
    cluster: dev
    user: dev-user
  name: dev
current-context: prod-admin
kind: Config
preferences: {}
users:
- name: admin
  user:
    client-certificate-data: ${Buffer.from('CERT').toString('base64')}
    client-key-data: ${Buffer.from('KEY').toString('base64')}
- name: dev-user
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: ["eks", "get-token"]
`;

describe('kubeconfig', () => {
  it('selects the current context with its cluster, CA data, client certificate and namespace', async () => {
    const file = write('a.yaml', KUBECTL_WRITTEN);
    const config = await loadClusterConfig({ env: { KUBECONFIG: file } });
    expect(config.server.href).toBe('https://10.1.2.3:6443/');
    expect(String(config.ca)).toBe('CA PEM');
    expect(String(config.cert)).toBe('CERT');
    expect(String(config.key)).toBe('KEY');
    expect(config.namespace).toBe('agents');
    expect(config.insecureSkipTlsVerify).toBe(false);
    expect(config.credentials).toBe(`a client certificate of user "admin" of kubeconfig ${file}, context "prod-admin"`);
  });

  it('honours ?context=, insecure-skip-tls-verify and says when a user relies on an exec plugin', async () => {
    const file = write('b.yaml', KUBECTL_WRITTEN);
    const config = await loadClusterConfig({ env: { KUBECONFIG: file }, context: 'dev' });
    expect(config.server.pathname).toBe('/k8s/clusters/c-1');
    expect(config.insecureSkipTlsVerify).toBe(true);
    expect(config.token).toBeUndefined();
    expect(config.credentials).toMatch(/uses an exec credential plugin, which Wayfinder does not run; use kubectl proxy/);
  });

  it('merges a KUBECONFIG list, skipping missing files, first value wins', async () => {
    const first = write('c1.yaml', 'apiVersion: v1\nkind: Config\ncurrent-context: dev\n');
    const second = write('c2.yaml', KUBECTL_WRITTEN);
    const config = await loadClusterConfig({ env: { KUBECONFIG: [path.join(dir, 'missing'), first, second].join(path.delimiter) } });
    expect(config.server.host).toBe('dev.example');
  });

  it('reads a token file and CA file relative to the kubeconfig, re-reading the token each time', async () => {
    mkdirSync(path.join(dir, 'rel'), { recursive: true });
    write('rel/ca.crt', 'FILE CA');
    write('rel/token', 'first\n');
    const file = write(
      'rel/config',
      'clusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:6443\n    certificate-authority: ca.crt\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\nusers:\n- name: u\n  user:\n    tokenFile: token\n',
    );
    const config = await loadClusterConfig({ env: { KUBECONFIG: file } });
    expect(String(config.ca)).toBe('FILE CA');
    expect(await config.token!()).toBe('first');
    write('rel/token', 'rotated\n');
    expect(await config.token!()).toBe('rotated');
    expect(config.credentials).toMatch(/the bearer token file .*rel\/token/);
  });

  it('names the file and field of an unusable kubeconfig', async () => {
    expect(() => parseKubeconfig('clusters: [', '/x/config')).toThrow(/\/x\/config is not valid YAML/);
    const file = write('d.yaml', 'current-context: nope\ncontexts: []\n');
    await expect(loadClusterConfig({ env: { KUBECONFIG: file } })).rejects.toThrow(/context "nope" not found/);
    await expect(loadClusterConfig({ env: { KUBECONFIG: file } })).rejects.toBeInstanceOf(KubeconfigError);
  });
});

describe('in-cluster and explicit configuration', () => {
  const sa = path.join(dir, 'sa');
  mkdirSync(sa, { recursive: true });
  writeFileSync(path.join(sa, 'token'), 'sa-token-1');
  writeFileSync(path.join(sa, 'ca.crt'), 'CLUSTER CA');
  writeFileSync(path.join(sa, 'namespace'), 'pods-own');

  it('uses the service account when no kubeconfig exists, re-reading a rotated token', async () => {
    const env = { HOME: path.join(dir, 'no-home'), KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' };
    const config = await loadClusterConfig({ env, serviceAccountDir: sa });
    expect(config.server.href).toBe('https://[fd00::1]/');
    expect(config.namespace).toBe('pods-own');
    expect(String(config.ca)).toBe('CLUSTER CA');
    expect(await config.token!()).toBe('sa-token-1');
    writeFileSync(path.join(sa, 'token'), 'sa-token-2');
    expect(await config.token!()).toBe('sa-token-2');
  });

  it('prefers a kubeconfig over the in-cluster configuration, as client-go does', async () => {
    const file = write('e.yaml', KUBECTL_WRITTEN);
    const config = await loadClusterConfig({ env: { KUBECONFIG: file, KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' }, serviceAccountDir: sa });
    expect(config.namespace).toBe('agents');
  });

  it('uses an explicit API URL without credentials', async () => {
    const config = await loadClusterConfig({ api: 'http://127.0.0.1:8001', env: {} });
    expect(config.token).toBeUndefined();
    expect(config.credentials).toMatch(/no credentials \(explicit API URL/);
  });

  it('says what to do when no configuration exists', async () => {
    await expect(loadClusterConfig({ env: { HOME: path.join(dir, 'nowhere') } })).rejects.toThrow(/no Kubernetes configuration found.*KUBECONFIG.*kubectl proxy/);
  });
});
