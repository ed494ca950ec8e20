import type { DecisionKind } from './decision.js';

/** What the audit trail records; each entry says who, on which object, what came of it, when. */
export type AuditEvent =
  'request' | 'approval' | 'rejection' | 'dismissal' | 'refusal' | 'execution' | 'result' | 'verification';

export interface AuditEntry {
  at: string;
  event: AuditEvent;
  /** Slack user id of whoever clicked or asked; null for the worker's own steps. */
  slackUser: string | null;
  /** The Kubernetes identity a write went as, when known. */
  kubernetesIdentity: string | null;
  /** The worker's entries: the Slack user ids whose approvals made the decision. */
  approvedBy?: string[];
  clusterId: string | null;
  nodeId: string | null;
  kind: DecisionKind | null;
  /** The object's decision number, once there is a decision. */
  decision: number | null;
  planId: string | null;
  /** A refusal's reason, an outcome, a measurement: one line. */
  detail: string | null;
  resourceVersionBefore?: string | null;
  resourceVersionAfter?: string | null;
  /** The object as it was before the write. */
  before?: unknown;
  patch?: unknown;
}
