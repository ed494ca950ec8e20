import type { ObjectRef } from '../../src/diagnosis/types.js';

/** The incident's node object (machine-h46dc of c-dql6k): its path, and its ref as the scanner names it. */
export const HOT_NODE = '/apis/management.cattle.io/v3/namespaces/c-dql6k/nodes/machine-h46dc';

export const HOT_NODE_REF: ObjectRef = {
  group: 'management.cattle.io',
  version: 'v3',
  resource: 'nodes',
  namespace: 'c-dql6k',
  name: 'machine-h46dc',
  subresource: null,
};
