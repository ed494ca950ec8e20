/**
 * What differs by Rancher version, for the diagnosis to say (see "Writing to these objects" in the
 * domain notes): the agent's wording, which writers rewrite a node object, and how a v2prov node is
 * removed. Pure; every answer is `null` when the version is not known, so that nothing is claimed
 * about a Rancher whose version could not be read.
 */

export interface RancherRelease {
  major: number;
  minor: number;
  patch: number;
}

/** "v2.6.5", "2.7.10-rc3", "v2.8.5-hotfix-1": null for what does not start as a release ("master-head"). */
export function parseRancherVersion(raw: string | null | undefined): RancherRelease | null {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(raw?.trim() ?? '');
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) } : null;
}

function compare(a: RancherRelease, b: RancherRelease): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** Whether `version` is `min` or later; null when the version is not known. */
export function atLeast(version: string | null | undefined, min: string): boolean | null {
  const v = parseRancherVersion(version);
  const m = parseRancherVersion(min);
  return v && m ? compare(v, m) >= 0 : null;
}

/** "v2.6.5" however the setting wrote it. */
export function displayVersion(version: string): string {
  return version.startsWith('v') ? version : `v${version}`;
}

/** The head of the node agent's "waiting" line as this version words it (pkg/rkenodeconfigclient/client.go). */
export function agentWaitingWording(version: string | null | undefined): string | null {
  const old = atLeast(version, '2.5.10');
  if (old === null) return null;
  return old
    ? 'Waiting for node to register. Either cluster is not ready for registering, cluster is currently provisioning, or etcd, controlplane and worker node have to be registered'
    : 'waiting for node to register. Either cluster is not ready for registering or etcd and controlplane node have to be registered first';
}

/** From 2.6.3 the nodesyncer copies each kubelet heartbeat (the Ready condition) into the object. */
export function copiesHeartbeats(version: string | null | undefined): boolean | null {
  return atLeast(version, '2.6.3');
}

/** node-controller-sync updates the object on every event it gets in 2.6.11+ and 2.7.0+. */
export function syncsUnconditionally(version: string | null | undefined): boolean | null {
  const v = parseRancherVersion(version);
  if (!v) return null;
  if (v.major !== 2) return v.major > 2;
  if (v.minor === 6) return v.patch >= 11;
  return v.minor >= 7;
}

/** From 2.7.7 deleting a v2prov cluster's Kubernetes node no longer removes its CAPI Machine (#43686, #42201). */
export function keepsMachineWhenNodeDeleted(version: string | null | undefined): boolean | null {
  return atLeast(version, '2.7.7');
}

/**
 * Which of Rancher's writers can rewrite a node object in this version, in words, for a finding
 * whose cause is not known: the field that flips on each write tells which one is fighting.
 */
export function nodeWriters(version: string | null | undefined): string[] {
  if (parseRancherVersion(version) === null) return [];
  const shown = displayVersion(version!);
  const lines: string[] = [];
  lines.push(
    copiesHeartbeats(version)
      ? `in Rancher ${shown} the nodesyncer copies each kubelet heartbeat into the object (the Ready condition's lastUpdateTime): one write per heartbeat is normal, a write many times a second is not`
      : `Rancher ${shown} predates 2.6.3: the nodesyncer does not copy kubelet heartbeats, so heartbeats do not explain these writes`,
  );
  if (syncsUnconditionally(version))
    lines.push(
      `in Rancher ${shown} node-controller-sync updates the object on every event it gets (2.6.11+ and 2.7.0+), so two writers that each react to the other's write make a loop`,
    );
  return lines;
}
