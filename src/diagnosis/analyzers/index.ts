import type { Analyzer } from './analyzer.js';
import { hotNodeObject } from './hot-node-object.js';
import { hotObjectNotANode } from './hot-object-not-a-node.js';
import { hotProvisionedNode } from './hot-provisioned-node.js';
import { orphanedMachineNode } from './orphaned-machine-node.js';

/** Every kind of finding the diagnosis makes; each looks at all the collected facts. */
export const ANALYZERS: readonly Analyzer[] = [
  orphanedMachineNode,
  hotProvisionedNode,
  hotNodeObject,
  hotObjectNotANode,
];

export type * from './analyzer.js';
