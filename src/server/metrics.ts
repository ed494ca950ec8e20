import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface QueueDepth {
  waiting: number;
  oldestWaitingSeconds: number;
}

/** Prometheus metrics of one process (bot, worker or both), served at /metrics. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'rancher_doctor_' });
  let readQueue: (() => Promise<QueueDepth>) | null = null;
  let readIncidentsOpen: (() => Promise<number>) | null = null;
  const queueOldestWaitingSeconds = new Gauge({
    name: 'rancher_doctor_queue_oldest_waiting_seconds',
    help: 'Age of the diagnosis that has waited longest for a worker; 0 when none waits',
    registers: [registry],
  });
  const queueWaiting = new Gauge({
    name: 'rancher_doctor_queue_waiting_jobs',
    help: 'Diagnoses waiting for a worker (read from Redis at each scrape)',
    registers: [registry],
    async collect() {
      // Redis out: the gauges keep their last values; /readyz says Redis does not answer.
      const depth = readQueue ? await readQueue().catch(() => null) : null;
      if (!depth) return;
      this.set(depth.waiting);
      queueOldestWaitingSeconds.set(depth.oldestWaitingSeconds);
    },
  });
  return {
    registry,
    commands: new Counter({
      name: 'rancher_doctor_slash_commands_total',
      help: 'Slash commands answered, by subcommand and outcome',
      labelNames: ['subcommand', 'outcome'] as const,
      registers: [registry],
    }),
    ackSeconds: new Histogram({
      name: 'rancher_doctor_slash_command_ack_seconds',
      help: 'Time from receiving a slash command to its ack',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    actions: new Counter({
      name: 'rancher_doctor_button_clicks_total',
      help: 'Report button clicks, by action and outcome',
      labelNames: ['action', 'outcome'] as const,
      registers: [registry],
    }),
    jobs: new Counter({
      name: 'rancher_doctor_diagnosis_jobs_total',
      help: 'Diagnosis jobs finished by this worker, by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    slackSocketConnections: new Gauge({
      name: 'rancher_doctor_slack_socket_connections',
      help: 'Socket Mode connections Slack may deliver to now (0: slash commands fail)',
      registers: [registry],
    }),
    slackSocketReconnects: new Counter({
      name: 'rancher_doctor_slack_socket_reconnects_total',
      help: 'Socket Mode connections replaced, by reason (refresh_requested, warning, closed, ...)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    diagnosesStarted: new Counter({
      name: 'rancher_doctor_diagnoses_started_total',
      help: 'Diagnosis attempts started by this worker',
      registers: [registry],
    }),
    diagnosesFinished: new Counter({
      name: 'rancher_doctor_diagnoses_finished_total',
      help: 'Diagnosis attempts ended, by outcome (done, failed, handed-back)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    diagnosisSeconds: new Histogram({
      name: 'rancher_doctor_diagnosis_duration_seconds',
      help: 'Time from a worker taking a diagnosis to its end, by outcome',
      labelNames: ['outcome'] as const,
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200],
      registers: [registry],
    }),
    queueWaiting,
    queueOldestWaitingSeconds,
    /** Where the queue gauges read from at each scrape: the process that holds the queue. */
    observeQueue(read: () => Promise<QueueDepth>) {
      readQueue = read;
    },
    slackApiCalls: new Counter({
      name: 'rancher_doctor_slack_api_calls_total',
      help: 'Slack Web API calls, by method and outcome (ok, error, rate_limited: each 429 answered)',
      labelNames: ['method', 'outcome'] as const,
      registers: [registry],
    }),
    kubernetesRequests: new Counter({
      name: 'rancher_doctor_kubernetes_requests_total',
      help: 'Kubernetes API calls (retries included), by outcome (ok, forbidden, unauthorized, not_found, transient, error)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    httpRefused: new Counter({
      name: 'rancher_doctor_http_requests_refused_total',
      help: 'HTTP requests refused, by reason (signature: 401 from the Slack check, timestamp, method: 405)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    approvals: new Counter({
      name: 'rancher_doctor_approvals_total',
      help: 'Clicks on Approve and Reject, by fix (patch, drain), outcome (counted, approved, rejected, refused) and, refused, reason (not-approver, self-approval, expired, stale, ...)',
      labelNames: ['fix', 'outcome', 'reason'] as const,
      registers: [registry],
    }),
    fixes: new Counter({
      name: 'rancher_doctor_fixes_total',
      help: 'Approved fixes carried out, by fix (patch, drain), outcome (applied, already-applied, removed, stopped, refused, failed) and, refused or failed, reason (stale, not-eligible, dry-run-refused, write-refused, conflicts, error)',
      labelNames: ['fix', 'outcome', 'reason'] as const,
      registers: [registry],
    }),
    detectorLeader: new Gauge({
      name: 'rancher_doctor_detector_leader',
      help: '1 while this process leads the loop detector',
      registers: [registry],
    }),
    detectorObjectsWatched: new Gauge({
      name: 'rancher_doctor_detector_objects_watched',
      help: 'Node objects the loop detector watches',
      registers: [registry],
    }),
    incidentsOpen: new Gauge({
      name: 'rancher_doctor_incidents_open',
      help: 'Loop incidents open in the alert channel (read from Redis at each scrape)',
      registers: [registry],
      async collect() {
        const open = readIncidentsOpen ? await readIncidentsOpen().catch(() => null) : null;
        if (open !== null) this.set(open);
      },
    }),
    /** Where the incidents gauge reads from at each scrape: the process's incident service. */
    observeIncidents(read: () => Promise<number>) {
      readIncidentsOpen = read;
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
