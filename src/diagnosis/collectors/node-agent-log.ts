import { createAgentLogParser } from '../agent.js';
import { internalIp, locateDownstreamNode } from '../nodes.js';
import type { Pod } from '../objects.js';
import type { SuspectCollector } from './collector.js';
import { attempt } from './optional-read.js';

export const AGENT_LOG_LIMIT_BYTES = 8 * 1024 * 1024;
export const AGENT_LOG_DEFAULT_SINCE_SECONDS = 1800;

/** The cattle-node-agent pod on the suspect's host, by node name, else by host address. */
export function findAgentPod(agentPods: Pod[], nodeName: string | null, ip: string | null): Pod | null {
  return (
    agentPods.find((p) => nodeName !== null && p.spec.nodeName === nodeName) ??
    agentPods.find((p) => ip !== null && p.status.hostIP === ip) ??
    null
  );
}

/** What the node agent on the suspect's host logs: "Waiting for node to register" is the loop seen from the host. */
export const nodeAgentLog: SuspectCollector = {
  name: 'node agent log',
  async collect(context) {
    const facts = context.subject.gathered.downstream;
    const { node, cluster } = context.subject.suspect;
    if (cluster?.kind === 'v2prov')
      return {
        agent: null,
        agentNote:
          'v2prov hosts run rancher-system-agent (a systemd service), not cattle-node-agent: its log is on the host (journalctl -u rancher-system-agent)',
      };
    if (!facts?.agentPods || !facts.reader) return {};
    const nodeName = locateDownstreamNode(node, facts.nodes).name;
    const ip = internalIp(node);
    const pod = findAgentPod(facts.agentPods, nodeName, ip);
    if (!pod) return { agentNote: `no cattle-node-agent pod found for node ${nodeName ?? ip ?? '?'}` };
    const parser = createAgentLogParser();
    const reader = facts.reader;
    const ok = await attempt(
      context,
      `log of ${pod.metadata.namespace}/${pod.metadata.name} in ${facts.clusterId}`,
      () =>
        reader
          .streamPodLog(
            pod,
            {
              sinceSeconds: context.options.sinceSeconds ?? AGENT_LOG_DEFAULT_SINCE_SECONDS,
              limitBytes: AGENT_LOG_LIMIT_BYTES,
            },
            (chunk) => parser.push(chunk),
            context.signal,
          )
          .then(() => true),
    );
    if (ok === null) return { agent: null };
    parser.end();
    return {
      agent: parser.result({ namespace: pod.metadata.namespace ?? 'cattle-system', name: pod.metadata.name }),
    };
  },
};
