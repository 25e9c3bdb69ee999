import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SourceError, type Resolver } from '@wayfinder/core';
import { FORBIDDEN_TOKEN, GOOD_TOKEN, kubeconfigYaml, startTestCluster, type TestCluster } from './cluster.js';
import { podEndpoint, slice } from './fake-api-objects.js';
import { type FakeApiServer, startFakeApiServer } from './fake-api-server.js';
import { waitForIds, watchService } from './helpers.js';
import { waitFor } from '../harness/processes.js';
import type { K8sEndpointSlicesOptions } from '@wayfinder/adapters';

let cluster: TestCluster;
let plain: FakeApiServer;
const open: Resolver[] = [];

beforeAll(async () => {
  cluster = await startTestCluster();
  plain = await startFakeApiServer();
  for (const ns of ['explicit', 'ctx', 'pod', 'default']) {
    for (const server of [cluster.server, plain]) {
      server.apply(slice({ name: `planner-${ns}`, service: 'planner', namespace: ns, endpoints: [podEndpoint(`10.0.0.${['explicit', 'ctx', 'pod', 'default'].indexOf(ns) + 1}`)] }));
    }
  }
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
});
afterAll(async () => {
  await cluster?.close();
  await plain?.close();
});

function start(options: K8sEndpointSlicesOptions) {
  const watched = watchService(options);
  open.push(watched.resolver);
  return watched.resolver;
}

async function failure(resolver: Resolver): Promise<SourceError> {
  const error = await resolver.ready({ timeoutMs: 20_000 }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SourceError);
  expect((error as SourceError).permanent).toBe(true);
  return error as SourceError;
}

describe('k8s credentials and configuration', () => {
  it('fails at once on 401 saying which credentials were rejected, without printing the token', async () => {
    const kc = cluster.kubeconfig({ token: 'wrong-token-value', name: 'kc-401' });
    const error = await failure(start({ service: 'planner', env: { KUBECONFIG: kc } }));
    expect(error.message).toContain(`401 Unauthorized from ${cluster.server.url} using a bearer token of user "wayfinder" of kubeconfig ${kc}, context "fake-context"`);
    expect(error.message).not.toContain('wrong-token-value');
  });

  it('fails at once on 403 naming the missing list/watch permission on endpointslices in the namespace', async () => {
    const kc = cluster.kubeconfig({ token: FORBIDDEN_TOKEN, name: 'kc-403' });
    const error = await failure(start({ service: 'planner', namespace: 'agents', env: { KUBECONFIG: kc } }));
    expect(error.message).toContain('403 Forbidden');
    expect(error.message).toContain('missing permission to list endpointslices.discovery.k8s.io in namespace "agents"');
    expect(error.message).toContain('grant "list" and "watch" on endpointslices');
    expect(error.message).toContain('User "system:serviceaccount:default:nobody" cannot list resource "endpointslices"');
    expect(error.message).not.toContain(FORBIDDEN_TOKEN);
  });

  it('refuses to send a bearer token over plain http', async () => {
    const kc = path.join(cluster.dir, 'kc-plain');
    writeFileSync(kc, kubeconfigYaml({ server: plain.url, token: GOOD_TOKEN }));
    const listsBefore = plain.listCount;
    const error = await failure(start({ service: 'planner', env: { KUBECONFIG: kc } }));
    expect(error.message).toMatch(/refusing to send a bearer token over plain http to http:\/\/127\.0\.0\.1:\d+/);
    expect(plain.listCount).toBe(listsBefore);
  });

  it('talks to an explicit API URL (kubectl proxy) over http without credentials', async () => {
    const resolver = start({ service: 'planner', namespace: 'explicit', api: plain.url, env: {} });
    await waitForIds(resolver, ['10.0.0.1:8080']);
  });

  it('takes the namespace from the target, else the kubeconfig context, else the pod, else default', async () => {
    const withCtx = cluster.kubeconfig({ namespace: 'ctx', name: 'kc-ns' });
    const noCtx = cluster.kubeconfig({ name: 'kc-no-ns' });
    const sa = path.join(cluster.dir, 'serviceaccount');
    mkdirSync(sa, { recursive: true });
    writeFileSync(path.join(sa, 'token'), GOOD_TOKEN);
    writeFileSync(path.join(sa, 'ca.crt'), cluster.ca);
    writeFileSync(path.join(sa, 'namespace'), 'pod');
    const inCluster = { HOME: path.join(cluster.dir, 'no-home'), KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(cluster.server.port) };

    await waitForIds(start({ service: 'planner', namespace: 'explicit', env: { KUBECONFIG: withCtx } }), ['10.0.0.1:8080'], 'the target namespace');
    await waitForIds(start({ service: 'planner', env: { KUBECONFIG: withCtx } }), ['10.0.0.2:8080'], 'the context namespace');
    await waitForIds(start({ service: 'planner', env: inCluster, serviceAccountDir: sa }), ['10.0.0.3:8080'], 'the pod namespace');
    await waitForIds(start({ service: 'planner', env: { KUBECONFIG: noCtx } }), ['10.0.0.4:8080'], 'default');
  });

  it('re-reads a rotated in-cluster service-account token', async () => {
    const sa = path.join(cluster.dir, 'rotating');
    mkdirSync(sa, { recursive: true });
    writeFileSync(path.join(sa, 'token'), GOOD_TOKEN);
    writeFileSync(path.join(sa, 'ca.crt'), cluster.ca);
    writeFileSync(path.join(sa, 'namespace'), 'pod');
    const env = { HOME: path.join(cluster.dir, 'no-home'), KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(cluster.server.port) };
    const resolver = start({ service: 'planner', env, serviceAccountDir: sa, watchTimeoutSeconds: 1 });
    await waitForIds(resolver, ['10.0.0.3:8080']);
    // The kubelet writes a new token and the old one stops working: the next request reads the new one.
    writeFileSync(path.join(sa, 'token'), 'rotated-token');
    cluster.server.setTokens({ 'rotated-token': { user: 'system:serviceaccount:pod:rotated', allow: true } });
    try {
      // The watch in flight ends after its 1-2 s timeout; the resumed one must authenticate with the new token.
      await waitFor(() => cluster.server.authenticated.includes('system:serviceaccount:pod:rotated'), { timeoutMs: 20_000, what: 'a request with the rotated token' });
      cluster.server.apply(slice({ name: 'planner-pod', service: 'planner', namespace: 'pod', endpoints: [podEndpoint('10.0.0.33')] }));
      await waitForIds(resolver, ['10.0.0.33:8080']);
      expect(resolver.current!.stale).toBe(false);
    } finally {
      cluster.server.setTokens({
        [GOOD_TOKEN]: { user: 'system:serviceaccount:default:wayfinder', allow: true },
        [FORBIDDEN_TOKEN]: { user: 'system:serviceaccount:default:nobody', allow: false },
      });
    }
  });
});
