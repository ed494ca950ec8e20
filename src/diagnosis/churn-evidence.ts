import type { ClusterAccess } from '../rancher/access.js';
import { createChurnCounter } from './churn.js';
import type { ProgressReporter, WriteActivityEvidence } from './types.js';

/** Watches node objects for a window and counts their updates. */
export async function watchChurn(
  access: ClusterAccess,
  namespace: string | null,
  seconds: number,
  progress: ProgressReporter,
  signal?: AbortSignal,
): Promise<WriteActivityEvidence> {
  const counter = createChurnCounter();
  progress({ stage: 'watching-churn', detail: `watching nodes.management.cattle.io for ${seconds}s` });
  const start = new Date();
  await access.watchNodeObjects(
    { namespace, seconds },
    (event) => {
      // ADDED events replay the existing objects when a watch starts: only changes count.
      if (event.type !== 'MODIFIED' || !event.object) return;
      counter.modified(event.object.metadata.namespace ?? '', event.object.metadata.name, new Date());
    },
    signal,
  );
  const end = new Date();
  const summary = counter.summary(start, end);
  progress({
    stage: 'watching-churn',
    detail: `${summary.requestsCounted} updates of ${summary.distinctObjects} objects in ${seconds}s`,
  });
  return {
    source: 'churn',
    description: `watch on nodes.management.cattle.io${namespace ? ` in ${namespace}` : ''} for ${seconds}s`,
    summary,
  };
}
