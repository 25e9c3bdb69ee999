import { InvalidTargetError, parseTarget } from '@wayfinder/core';
import { describe, expect, it } from 'vitest';
import { parseK8sTarget } from './target.js';

const parse = (t: string) => parseK8sTarget(parseTarget(t));

describe('parseK8sTarget', () => {
  it('reads namespace, service and port name', () => {
    expect(parse('k8s://agents/planner:grpc')).toEqual({ namespace: 'agents', service: 'planner', portName: 'grpc' });
  });
  it('leaves the namespace and port name absent when the target omits them', () => {
    expect(parse('k8s://planner')).toEqual({ service: 'planner' });
    expect(parse('k8s://planner:http')).toEqual({ service: 'planner', portName: 'http' });
  });
  it('reads the api, kubeconfig and context query parameters', () => {
    expect(parse('k8s://a/b?api=http://127.0.0.1:8001&context=dev&kubeconfig=/tmp/kc')).toEqual({
      namespace: 'a',
      service: 'b',
      api: 'http://127.0.0.1:8001',
      context: 'dev',
      kubeconfig: '/tmp/kc',
    });
  });
  it.each([
    ['k8s://', /missing service/],
    ['k8s://Agents/planner', /invalid namespace/],
    ['k8s://a/b/c', /too many path segments/],
    ['k8s://planner:GRPC', /invalid port name/],
    ['k8s://planner?watch=1', /unknown query parameter "watch"/],
    ['k8s://planner?api=ftp://x', /must be http/],
  ])('rejects %s naming what is wrong', (target, message) => {
    expect(() => parse(target)).toThrow(InvalidTargetError);
    expect(() => parse(target)).toThrow(message);
  });
});
