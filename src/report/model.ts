import type {
  AccessProblem,
  AgentEvidence,
  ClusterSummary,
  Confidence,
  DiagnosisReport,
  DrainPlan,
  EvidenceLine,
  EvidenceSource,
  Finding,
  FindingKind,
  FixAdvice,
  PatchPlan,
  Signal,
  WriteRate,
  WriteSighting,
} from '../diagnosis/types.js';
import { collectHeat } from '../diagnosis/findings.js';
import { endWords } from '../diagnosis/progress-words.js';
import { plural } from '../text/plural.js';
import { fieldChangeFacts, type FieldChangeFacts } from './field-change-facts.js';
import { displayVersion } from '../diagnosis/rancher-version.js';
import { countNoun, derivedSourceWords, fixAdviceLabel, SIGNAL_LABELS, SOURCE_LABELS } from './vocabulary.js';

/**
 * What a report says, decided once for every front end: the command line's text and the Slack
 * message are layouts of this model, so a fact is worded here (from the vocabulary) and only
 * placed and formatted there. Built from a DiagnosisReport alone; pure.
 */
export interface ReportModel {
  startedAt: string;
  finishedAt: string;
  /** Whole seconds from start to finish, never negative. */
  durationSeconds: number;
  scope: ScopeFacts;
  clusters: ClusterSummary[];
  /** What each evidence source read, in the report's order. */
  reads: ReadFacts[];
  /** Every hot object once, whichever sources saw it, hottest first: one list for the whole report. */
  hottest: HotObjectFacts[];
  findings: FindingFacts[];
  problems: ProblemFacts[];
  /** "v2.6.5": Rancher's version as its server-version setting says; null when not known. */
  rancherVersion: string | null;
}

export interface ScopeFacts {
  clusterId: string | null;
  /** "c-dql6k", or "all 3 clusters" when none was named. */
  label: string;
  sinceSeconds: number | null;
  watchSeconds: number | null;
  watchedSeconds: number | null;
  /** Set when the churn watch ran shorter than asked (cancelled, failed midway). */
  watchCutShort: { watchedSeconds: number; askedSeconds: number } | null;
  /** Set when the churn watch ended early because a loop was plain: why, in words. */
  watchEndedEarly: { watchedSeconds: number; askedSeconds: number; why: string } | null;
}

export interface ReadFacts {
  source: EvidenceSource;
  sourceLabel: string;
  /** Which pods, files or watch, which window. */
  description: string;
  linesRead: number;
  requestsCounted: number;
  hotObjects: number;
  /** The most written object this source saw, if any was hot. */
  busiest: { key: string; writesPerMinute: number } | null;
}

export interface HotObjectFacts {
  key: string;
  /** One rate per kind of source (pods of one kind summed: each request is served by one apiserver), highest first. */
  rates: { source: EvidenceSource; sourceLabel: string; writesPerMinute: number; lowerBound: boolean }[];
}

/** How often one source measured the object written. */
export interface RateFacts {
  source: EvidenceSource;
  /** "churn watch"; a sentence says "the churn watch". */
  sourceLabel: string;
  signal: Signal;
  /** What was counted: "httplog access lines". */
  signalLabel: string;
  writes: number;
  /** "5,400 writes", "100 updates". */
  counted: string;
  writesPerMinute: number;
  /** Too few writes to measure a rate: they came at least writesPerMinute fast. */
  lowerBound: boolean;
  /** Which pods, files or watch, which window; null in reports older than per-source sightings. */
  description: string | null;
  /** The first write this source saw, when it can tell (logs can; a watch sees only its window). */
  firstSeen: string | null;
  /**
   * How long the source watched or the writes it saw spanned, in whole seconds (for a lower bound,
   * the window it read); null when not known.
   */
  observedSeconds: number | null;
}

export interface FindingFacts {
  id: string;
  /** 1 for the first finding. */
  number: number;
  kind: FindingKind;
  /** What the finding is about for a person: the node id, else the object's path. */
  subject: string;
  objectKey: string;
  cluster: { id: string | null; name: string | null };
  node: { id: string | null; hostname: string | null; ip: string | null };
  /** The highest rate any source measured; null when the object was not hot. */
  rate: RateFacts | null;
  /** Every source's rate, highest first (the headline's alone in older reports). */
  rates: RateFacts[];
  /** The earliest write any source saw: since when the loop is known to run. */
  since: string | null;
  confidence: Confidence;
  cause: { code: string; summary: string; details: string[] };
  /** The recommended fix: what to do, why, and what it sets off. */
  fixAdvice: { fix: FixAdvice['fix']; label: string; reason: string; risk: string | null } | null;
  /** Whether the drain can be offered for approval, and why not. */
  drainOffer: { offered: boolean; why: string | null };
  missing: string[];
  sibling: { nodeId: string; hostname: string | null } | null;
  agent: AgentEvidence | null;
  evidence: EvidenceLine[];
  patch: PatchPlan | null;
  /**
   * Said next to a patch that may be applied: what it sets off, and where each value came from so
   * that a reviewer can check them. null when there is no patch or it is not for this node.
   */
  patchNotice: { consequence: string; derivedFrom: string } | null;
  drain: DrainPlan | null;
  /** Which field flips on each write and who writes it; null when no source compared versions. */
  fieldChanges: FieldChangeFacts | null;
}

export interface ProblemFacts {
  target: string;
  status: number | null;
  message: string;
  /** What to grant or check; null when it would only say again what the message says. */
  hint: string | null;
}

export function buildReportModel(report: DiagnosisReport): ReportModel {
  return {
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
    durationSeconds: Math.max(
      0,
      Math.round((Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000),
    ),
    scope: scopeFacts(report),
    clusters: report.clusters,
    reads: report.activity.map((a) => {
      const top = a.summary.hot[0];
      return {
        source: a.source,
        sourceLabel: SOURCE_LABELS[a.source],
        description: a.description,
        linesRead: a.summary.linesRead,
        requestsCounted: a.summary.requestsCounted,
        // Counted as the findings count them (an object and its /status once, ordinary traffic not).
        hotObjects: collectHeat([a]).size,
        busiest: top ? { key: top.key, writesPerMinute: top.writesPerMinute } : null,
      };
    }),
    hottest: hottestObjects(report),
    findings: worstFirst(report.findings).map((f, i) => findingFacts(f, i, report)),
    problems: report.problems.map(problemFacts),
    rancherVersion: report.rancherVersion ? displayVersion(report.rancherVersion) : null,
  };
}

function scopeFacts(report: DiagnosisReport): ScopeFacts {
  const s = report.scope;
  const early = s.watchEnd?.reason === 'conclusive';
  const why = s.watchEnd ? endWords(s.watchEnd) : null;
  return {
    clusterId: s.clusterId,
    label:
      s.clusterId ??
      (report.clusters.length === 1 ? 'the one cluster' : `all ${plural(report.clusters.length, 'cluster')}`),
    sinceSeconds: s.sinceSeconds,
    watchSeconds: s.watchSeconds,
    watchedSeconds: s.watchedSeconds,
    watchCutShort:
      !early && s.watchedSeconds !== null && s.watchSeconds !== null && s.watchedSeconds < s.watchSeconds
        ? { watchedSeconds: s.watchedSeconds, askedSeconds: s.watchSeconds }
        : null,
    watchEndedEarly:
      early && why && s.watchedSeconds !== null && s.watchSeconds !== null
        ? { watchedSeconds: s.watchedSeconds, askedSeconds: s.watchSeconds, why }
        : null,
  };
}

function rateFacts(r: WriteRate | WriteSighting, report: DiagnosisReport): RateFacts {
  const sighting = 'description' in r ? r : null;
  return {
    source: r.source,
    sourceLabel: SOURCE_LABELS[r.source],
    signal: r.signal,
    signalLabel: SIGNAL_LABELS[r.signal],
    writes: r.writes,
    counted: plural(r.writes, countNoun(r.source)),
    writesPerMinute: r.writesPerMinute,
    lowerBound: r.lowerBound === true,
    description: sighting?.description ?? null,
    firstSeen: sighting?.firstSeen ?? null,
    observedSeconds: observedSeconds(r.source, sighting, report),
  };
}

/**
 * How long a source observed the object: the span its rate is over (diagnosis/observed-rate.ts);
 * in reports older than that, the churn watch for as long as it ran, a log from its first to its
 * last write of the object.
 */
function observedSeconds(
  source: EvidenceSource,
  sighting: WriteSighting | null,
  report: DiagnosisReport,
): number | null {
  if (sighting?.observedSeconds) return sighting.observedSeconds;
  if (source === 'churn') return report.scope.watchedSeconds ?? report.scope.watchSeconds;
  if (!sighting?.firstSeen || !sighting.lastSeen) return null;
  const span = Math.round((Date.parse(sighting.lastSeen) - Date.parse(sighting.firstSeen)) / 1000);
  return Number.isFinite(span) && span > 0 ? span : null;
}

/** The sighting the headline rate is, for what it adds (over how long, since when). */
function headlineSighting(f: Finding, rate: WriteRate): WriteRate | WriteSighting {
  return (
    f.writeRates?.find(
      (s) =>
        s.source === rate.source && s.writes === rate.writes && s.writesPerMinute === rate.writesPerMinute,
    ) ?? rate
  );
}

/** The most written first; findings whose rate is unknown last, in the order they came. */
function worstFirst(findings: Finding[]): Finding[] {
  const rate = (f: Finding) => f.writeRate?.writesPerMinute ?? -1;
  return [...findings].sort((a, b) => rate(b) - rate(a));
}

function findingFacts(f: Finding, index: number, report: DiagnosisReport): FindingFacts {
  const rates = f.writeRates?.length ? f.writeRates : f.writeRate ? [f.writeRate] : [];
  const firstSeen = rates
    .map((r) => ('firstSeen' in r ? r.firstSeen : null))
    .filter((t): t is string => t !== null)
    .sort();
  return {
    id: f.id,
    number: index + 1,
    kind: f.kind,
    subject: f.nodeId ?? f.objectKey,
    objectKey: f.objectKey,
    cluster: { id: f.clusterId, name: f.clusterName },
    node: { id: f.nodeId, hostname: f.hostname, ip: f.ip },
    rate: f.writeRate ? rateFacts(headlineSighting(f, f.writeRate), report) : null,
    rates: rates.map((r) => rateFacts(r, report)),
    since: firstSeen[0] ?? null,
    confidence: f.confidence,
    cause: f.cause,
    fixAdvice: f.fixAdvice
      ? {
          fix: f.fixAdvice.fix,
          label: fixAdviceLabel(f.fixAdvice.fix),
          reason: f.fixAdvice.reason,
          risk: fixRisk(f.fixAdvice.fix, f.drainPlan),
        }
      : null,
    drainOffer: drainOffer(f),
    missing: f.missing,
    sibling: f.sibling,
    agent: f.agent,
    evidence: f.evidence,
    patch: f.patchPlan,
    patchNotice: f.patchPlan && !f.patchPlan.ineligible ? patchNotice(f, f.patchPlan) : null,
    drain: f.drainPlan,
    fieldChanges: fieldChangeFacts(rates),
  };
}

/**
 * The patch hands the host to RKE: once status.rkeNode is there the RKE1 provisioner takes it into
 * the cluster's RKE config and reconciles, so its roles and addresses must be the host's real ones.
 */
function patchNotice(f: Finding, p: PatchPlan): NonNullable<FindingFacts['patchNotice']> {
  const host = f.hostname ?? f.nodeId ?? 'the host';
  const cluster = f.clusterName ?? p.clusterId;
  const rke = (p.mergePatch.status as { rkeNode?: Record<string, unknown> } | undefined)?.rkeNode ?? {};
  const roles = Array.isArray(rke.role) ? rke.role.join(', ') : null;
  const addresses = [rke.address, rke.internalAddress].filter((a) => typeof a === 'string');
  const what = [
    roles ? `roles (${roles})` : 'roles',
    addresses.length ? `address (${[...new Set(addresses)].join(', ')})` : 'addresses',
  ].join(' and ');
  return {
    consequence: `Applying it hands ${host} to RKE: the next reconcile takes the host into ${cluster}'s RKE config, so its ${what} must be the host's real ones.`,
    derivedFrom: derivedFromWords(p),
  };
}

/** "address and customConfig.address 10.0.3.17 from the node's InternalIP; port 22 and user root from sibling m-p9w4d". */
function derivedFromWords(p: PatchPlan): string {
  const bySource = new Map<string, string[]>();
  for (const [path, source] of Object.entries(p.derivedFrom)) {
    const value = valueAt(p.mergePatch, path);
    const field = path.replace(/^status\.rkeNode\./, '').replace(/^spec\./, '');
    const shown = value === undefined ? field : `${field} ${valueWords(value)}`;
    const words = derivedSourceWords(source);
    bySource.set(words, [...(bySource.get(words) ?? []), shown]);
  }
  return [...bySource].map(([source, fields]) => `${fields.join(', ')} ${source}`).join('; ');
}

function valueWords(value: unknown): string {
  if (Array.isArray(value)) return value.join(',');
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

function valueAt(patch: Record<string, unknown>, path: string): unknown {
  let cur: unknown = patch;
  for (const key of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** What applying the fix sets off, for the person who approves it. */
function fixRisk(fix: FixAdvice['fix'], drain: DrainPlan | null): string | null {
  if (fix === 'patch')
    return "Rancher then provisions the host with the roles and addresses in the patch: they must be the host's real ones.";
  if (fix === 'none') return null;
  const pods =
    drain && (drain.evict.length || drain.leave.length)
      ? `Evicts ${plural(drain.evict.length, 'pod')}`
      : 'Evicts the pods on it (not known yet)';
  const pdb = drain?.blockingPodDisruptionBudgets.length ? ', which a PodDisruptionBudget may hold up' : '';
  return `${pods}${pdb}; the host must then be cleaned and registered again by hand.`;
}

/**
 * The drain is carried out in the downstream cluster: it is offered only when that cluster was read
 * and the node found there, so that the approver sees what will be evicted.
 */
function drainOffer(f: Finding): FindingFacts['drainOffer'] {
  const d = f.drainPlan;
  if (!d) return { offered: false, why: null };
  const cluster = f.clusterName ?? d.clusterId;
  if (d.downstreamRead === false)
    return { offered: false, why: `${cluster} could not be read, so what a drain would evict is not known` };
  if (!d.downstreamNode) return { offered: false, why: `its Kubernetes node was not found in ${cluster}` };
  // The bot removes a node the RKE1 custom way (drain, delete the Kubernetes node); a provisioned
  // host goes with its CAPI Machine or its node pool, by the steps the thread lists.
  if (d.removal)
    return {
      offered: false,
      why:
        d.removal.kind === 'capi-machine'
          ? 'its host is a CAPI Machine: removing it means deleting the Machine, as the thread shows'
          : "its host is in a node pool: removing it means deleting the pool's node, as the thread shows",
    };
  if (d.lastOfRole?.length)
    return {
      offered: false,
      why: `${d.downstreamNode} is the last ${d.lastOfRole.join(' and ')} node of ${cluster}: removing it would leave the cluster without ${d.lastOfRole.length > 1 ? 'those roles' : 'that role'}`,
    };
  return { offered: true, why: null };
}

/**
 * Every hot object once, whichever sources saw it (the apiserver logs and the churn watch often
 * both do), ranked by the highest rate any of them measured.
 */
function hottestObjects(report: DiagnosisReport): HotObjectFacts[] {
  type Summed = { writesPerMinute: number; lowerBound: boolean };
  const byKey = new Map<string, Map<EvidenceSource, Summed>>();
  for (const a of report.activity) {
    for (const h of a.summary.hot) {
      const rates = byKey.get(h.key) ?? new Map<EvidenceSource, Summed>();
      const was = rates.get(a.source);
      // A lower bound only while every part summed is one.
      rates.set(a.source, {
        writesPerMinute: (was?.writesPerMinute ?? 0) + h.writesPerMinute,
        lowerBound: (was?.lowerBound ?? true) && h.lowerBound === true,
      });
      byKey.set(h.key, rates);
    }
  }
  return [...byKey]
    .map(([key, rates]) => ({
      key,
      rates: [...rates]
        .map(([source, r]) => ({ source, sourceLabel: SOURCE_LABELS[source], ...r }))
        .sort((a, b) => b.writesPerMinute - a.writesPerMinute),
    }))
    .sort((a, b) => b.rates[0]!.writesPerMinute - a.rates[0]!.writesPerMinute);
}

/** The hint, unless it only says again what the message said. */
function problemFacts(p: AccessProblem): ProblemFacts {
  const hint = p.hint.trim();
  const norm = (t: string) =>
    t
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, ' ')
      .trim();
  return {
    target: p.target,
    status: p.status,
    message: p.message,
    hint: hint && !norm(p.message).includes(norm(hint)) ? hint : null,
  };
}
