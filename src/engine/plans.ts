import type { Diagnosed } from '../diagnosis/analyzers/index.js';
import { adviseFix, adviseProvisionedNode } from '../diagnosis/findings.js';
import type { Finding, RemovalTarget } from '../diagnosis/types.js';
import type { FixBasis } from '../diagnosis/analyzers/index.js';
import { buildDrainPlan } from '../remediation/plans/drain-plan.js';
import { patchEligibility } from '../remediation/plans/patch-eligibility.js';
import { buildPatchPlan } from '../remediation/plans/patch-plan.js';

/** The finding with its two fixes, and the advice on which fits, when it has what they are built from. */
export function attachPlans({ finding, fixBasis }: Diagnosed): Finding {
  if (!fixBasis) return finding;
  const { node, analysis, downstream, podsOnNode, provisioned } = fixBasis;
  // Where Rancher provisions the host no patch is built at all: it must never be offered there.
  const patchPlan = provisioned ? null : buildPatchPlan(node, analysis.sibling);
  const eligibility = analysis.cluster ? patchEligibility(analysis.cluster, node) : null;
  if (patchPlan && eligibility && !eligibility.eligible) patchPlan.ineligible = eligibility.reason;
  const drainPlan = buildDrainPlan({
    clusterId: analysis.clusterId,
    nodeId: analysis.nodeId,
    downstreamNodeName: analysis.downstreamNodePresent === false ? null : analysis.downstreamNodeName,
    podsOnNode,
    pdbs: downstream.pdbs,
    registrationTokens: downstream.registrationTokens,
    roles: analysis.roles,
    downstreamKubectl: downstream.reader?.kubectl ?? null,
    downstreamRead: downstream.nodes !== null,
    removal: removalTarget(fixBasis),
    rancherVersion: fixBasis.rancherVersion ?? null,
    downstreamNodes: downstream.nodes,
    notes:
      downstream.nodes === null
        ? [
            `downstream cluster ${analysis.clusterId} could not be reached: the node, its pods and PDBs are not known`,
          ]
        : [],
  });
  // Assigned in place: the finding keeps its keys' order, which the JSON report shows.
  finding.patchPlan = patchPlan;
  finding.drainPlan = drainPlan;
  finding.fixAdvice = provisioned
    ? adviseProvisionedNode(analysis, drainPlan)
    : adviseFix(analysis, patchPlan, drainPlan);
  return finding;
}

/** What the removal deletes where Rancher provisions the host: the CAPI Machine, or the pool's node object. */
function removalTarget({ provisioned, analysis }: FixBasis): RemovalTarget | undefined {
  if (!provisioned) return undefined;
  if (provisioned.nodePoolName && analysis.cluster?.kind !== 'v2prov')
    return { kind: 'node-pool-node', namespace: analysis.clusterId, name: analysis.nodeId, replaced: true };
  const m = provisioned.machine;
  return {
    kind: 'capi-machine',
    namespace: m?.namespace ?? 'fleet-default',
    name: m?.name ?? null,
    // A custom host (CustomMachine) comes back only when registered again; a pool's Machine is replaced.
    replaced: m !== null && m.infrastructureKind !== null && m.infrastructureKind !== 'CustomMachine',
  };
}
