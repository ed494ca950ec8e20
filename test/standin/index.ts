/**
 * The stand-in kube-apiserver (and Rancher proxy) for tests, the benchmark and `npm run standin`.
 * Never imported by src/.
 */
export type {
  K8sObject,
  K8sMetadata,
  ClusterName,
  RecordedRequest,
  FaultSpec,
  FaultHandle,
  ForbidRule,
  FaultControl,
  LoopControl,
  KubeconfigOptions,
  Standin,
  StandinOptions,
} from './types.js';
export type { Scenario, ParsedScenario } from './scenario.js';
export { loadScenario, parseScenario, seedScenarioPath, scenarioDir } from './scenario.js';
export { startStandin } from './server.js';
export {
  generateLargeScenario,
  type LargeScenarioOptions,
  type GeneratedScenario,
  type GeneratedOrphan,
} from './generate.js';
