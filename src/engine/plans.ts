import type { Diagnosed } from '../diagnosis/analyzers/index.js';
import { adviseFix } from '../diagnosis/findings.js';
import type { Finding } from '../diagnosis/types.js';
import { buildDrainPlan } from '../remediation/plans/drain-plan.js';
import { patchEligibility } from '../remediation/plans/patch-eligibility.js';
import { buildPatchPlan } from '../remediation/plans/patch-plan.js';

/** The finding with its two fixes, and the advice on which fits, when it has what they are built from. */
export function attachPlans({ finding, fixBasis }: Diagnosed): Finding {
  if (!fixBasis) return finding;
  const { node, analysis, downstream, podsOnNode } = fixBasis;
  const patchPlan = buildPatchPlan(node, analysis.sibling);
  const eligibility = analysis.cluster ? patchEligibility(analysis.cluster, node) : null;
  if (eligibility && !eligibility.eligible) patchPlan.ineligible = eligibility.reason;
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
  finding.fixAdvice = adviseFix(analysis, patchPlan, drainPlan);
  return finding;
}
