import { describe, expect, it } from '@jest/globals';
import { loadRancherConfig } from '../../src/config/rancher.js';
import { UsageError } from '../../src/errors.js';

describe('loadRancherConfig', () => {
  it('reads the environment and applies overrides', () => {
    const c = loadRancherConfig(
      { RANCHER_URL: 'https://rancher.example.com/', RANCHER_TOKEN: 'token-x:y', KUBE_RETRIES: '2' },
      { kubeconfigPath: '/tmp/k', context: undefined },
    );
    expect(c).toMatchObject({
      rancherUrl: 'https://rancher.example.com',
      rancherToken: 'token-x:y',
      retries: 2,
      kubeconfigPath: '/tmp/k',
      context: null,
    });
  });
  it('names the bad setting', () => {
    expect(() => loadRancherConfig({ KUBE_REQUEST_TIMEOUT_MS: 'soon' })).toThrow(/KUBE_REQUEST_TIMEOUT_MS/);
    expect(() => loadRancherConfig({ RANCHER_URL: 'rancher' })).toThrow(UsageError);
    expect(() => loadRancherConfig({ RANCHER_URL: 'https://r' })).toThrow(/RANCHER_TOKEN/);
  });
});
