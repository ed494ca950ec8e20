import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one process (bot, worker or both), served at /metrics. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'rancher_doctor_' });
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
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
