import type { Analyzer } from './analyzer.js';
import { hotNodeObject } from './hot-node-object.js';
import { hotObjectNotANode } from './hot-object-not-a-node.js';
import { orphanedMachineNode } from './orphaned-machine-node.js';

/** Every kind of finding the diagnosis makes; each looks at all the collected facts. */
export const ANALYZERS: readonly Analyzer[] = [orphanedMachineNode, hotNodeObject, hotObjectNotANode];

export type * from './analyzer.js';
