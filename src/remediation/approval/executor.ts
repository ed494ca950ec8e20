/**
 * The port through which a remediation job carries out a decided fix. The worker hands each call
 * a journal kept with the decision: a step recorded there is done, so a worker killed mid-way
 * resumes past it (and never writes twice).
 */

export interface StepJournal {
  get(step: string): Promise<unknown | null>;
  record(step: string, value: unknown): Promise<void>;
}

export interface RemediationRequest {
  /** `<cluster>/<node>#<number>`: one per decision. */
  decisionId: string;
  planId: string;
  clusterId: string;
  nodeId: string;
  /** The plan as the diagnosis made it (PatchPlan or DrainPlan); the executor checks what it reads. */
  plan: unknown;
  approvedBy: string[];
}

export type PatchOutcome =
  | {
      outcome: 'applied';
      resourceVersionBefore: string;
      resourceVersionAfter: string;
      /** The object as it was before the write, for the audit trail. */
      before: unknown;
      patch: unknown;
      diff: string;
      attempts: number;
      /** The Kubernetes user the write went as, when known (impersonation). */
      kubernetesIdentity?: string | null;
    }
  | { outcome: 'already-applied'; resourceVersion?: string; kubernetesIdentity?: string | null }
  | { outcome: 'refused'; reason: string; changed?: string[] }
  | {
      outcome: 'failed';
      message: string;
      /** For the metrics: the apiserver refused the dry run or the write, or the loop won every conflict. */
      cause?: 'dry-run-refused' | 'write-refused' | 'conflicts';
    };

export type VerifyOutcome =
  | {
      /** unclear: under the loop rule, but faster than its sibling or with none to compare with. */
      outcome: 'stopped' | 'looping' | 'unclear';
      writesPerMinute: number;
      siblingWritesPerMinute: number | null;
      watchedSeconds: number;
    }
  | { outcome: 'failed'; message: string };

/** What the drain came to, as the decision keeps it (no secret: the journal and Redis hold it). */
export type DrainOutcome =
  | {
      outcome: 'removed';
      node: string;
      evicted: string[];
      machineObjectGone: boolean;
      kubernetesIdentity?: string | null;
    }
  | {
      /** At DRAIN_TIMEOUT, or on an approver's Stop: the node is left cordoned. */
      outcome: 'stopped';
      node: string;
      reason: 'deadline' | 'stop';
      stoppedBy: string | null;
      cordoned: boolean;
      evicted: string[];
      blocked: { pod: string; pdbs: string[]; message: string }[];
      terminating: string[];
      kubernetesIdentity?: string | null;
    }
  | { outcome: 'refused'; reason: string; changed?: string[] }
  | { outcome: 'failed'; message: string; cordoned?: boolean; kubernetesIdentity?: string | null };

export type UncordonOutcome = {
  outcome: 'uncordoned' | 'not-cordoned' | 'gone' | 'failed';
  message: string;
  kubernetesIdentity?: string | null;
};

/** Where an approver's Stop is written: the drain reads it between its steps. */
export const DRAIN_STOP_STEP = 'drain:stop';

export interface RemediationExecutor {
  applyPatch(req: RemediationRequest, journal: StepJournal): Promise<PatchOutcome>;
  verify(req: RemediationRequest, journal: StepJournal): Promise<VerifyOutcome>;
  /** Absent where this process cannot carry out the drain (stand-in engines). */
  applyDrain?(req: RemediationRequest, journal: StepJournal): Promise<DrainOutcome>;
  /** Makes the node a stopped drain left cordoned schedulable again. */
  uncordon?(req: RemediationRequest, journal: StepJournal): Promise<UncordonOutcome>;
}
