import { z } from 'zod';

/**
 * Run-time shapes of the Kubernetes and Rancher objects read from clusters: only the fields the
 * diagnosis uses are checked, everything else passes through untouched (the patch plan's diff
 * shows the whole object). Field names follow rancher/rancher
 * pkg/apis/management.cattle.io/v3/machine_types.go and cluster_types.go, and rancher/rke's
 * RKEConfigNode.
 */

const metadata = z.looseObject({
  name: z.string(),
  namespace: z.string().optional(),
  resourceVersion: z.string().optional(),
  uid: z.string().optional(),
  labels: z.record(z.string(), z.string()).nullish(),
  annotations: z.record(z.string(), z.string()).nullish(),
  ownerReferences: z
    .array(z.looseObject({ kind: z.string(), name: z.string(), controller: z.boolean().optional() }))
    .nullish(),
  // The typed core API hands these over as Date objects, custom objects as strings.
  creationTimestamp: z.unknown().optional(),
  deletionTimestamp: z.unknown().optional(),
});

const address = z.looseObject({ type: z.string(), address: z.string() });

export const rkeNodeSchema = z.looseObject({
  nodeName: z.string().optional(),
  address: z.string().optional(),
  port: z.string().optional(),
  internalAddress: z.string().optional(),
  role: z.array(z.string()).nullish(),
  hostnameOverride: z.string().optional(),
  user: z.string().optional(),
  dockerSocket: z.string().optional(),
});

export const customConfigSchema = z.looseObject({
  address: z.string().optional(),
  internalAddress: z.string().optional(),
  user: z.string().optional(),
  dockerSocket: z.string().optional(),
});

export const managementNodeSchema = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata,
  spec: z
    .looseObject({
      etcd: z.boolean().optional(),
      controlPlane: z.boolean().optional(),
      worker: z.boolean().optional(),
      imported: z.boolean().optional(),
      displayName: z.string().optional(),
      requestedHostname: z.string().optional(),
      nodePoolName: z.string().optional(),
      customConfig: customConfigSchema.nullish(),
    })
    .default({}),
  status: z
    .looseObject({
      nodeName: z.string().optional(),
      rkeNode: rkeNodeSchema.nullish(),
      internalNodeStatus: z.looseObject({ addresses: z.array(address).nullish() }).nullish(),
      nodeLabels: z.record(z.string(), z.string()).nullish(),
      nodeAnnotations: z.record(z.string(), z.string()).nullish(),
    })
    .default({}),
});
export type ManagementNode = z.infer<typeof managementNodeSchema>;

export const managementClusterSchema = z.looseObject({
  metadata,
  spec: z
    .looseObject({
      displayName: z.string().optional(),
      rancherKubernetesEngineConfig: z.unknown().optional(),
      internal: z.boolean().optional(),
    })
    .default({}),
  status: z
    .looseObject({
      driver: z.string().optional(),
      appliedSpec: z.looseObject({ displayName: z.string().optional() }).nullish(),
    })
    .default({}),
});
export type ManagementCluster = z.infer<typeof managementClusterSchema>;

/** settings.management.cattle.io: `value`, else `default` when none was set. */
export const settingSchema = z.looseObject({
  metadata,
  value: z.string().nullish(),
  default: z.string().nullish(),
});

/** clusters.provisioning.cattle.io (v2prov): status.clusterName is the management cluster's id. */
export const provisioningClusterSchema = z.looseObject({
  metadata,
  status: z.looseObject({ clusterName: z.string().optional() }).default({}),
});
export type ProvisioningCluster = z.infer<typeof provisioningClusterSchema>;

/** machines.cluster.x-k8s.io: the CAPI Machine behind a v2prov node. */
export const capiMachineSchema = z.looseObject({
  metadata,
  spec: z
    .looseObject({
      clusterName: z.string().optional(),
      infrastructureRef: z
        .looseObject({ kind: z.string().optional(), name: z.string().optional() })
        .nullish(),
    })
    .default({}),
  status: z
    .looseObject({
      nodeRef: z.looseObject({ name: z.string().optional() }).nullish(),
      phase: z.string().optional(),
    })
    .default({}),
});
export type CapiMachine = z.infer<typeof capiMachineSchema>;

export const registrationTokenSchema = z.looseObject({
  metadata,
  status: z.looseObject({ nodeCommand: z.string().optional(), token: z.string().optional() }).default({}),
});
export type RegistrationToken = z.infer<typeof registrationTokenSchema>;

export const podSchema = z.looseObject({
  metadata,
  spec: z
    .looseObject({
      nodeName: z.string().optional(),
      containers: z.array(z.looseObject({ name: z.string() })).default([]),
    })
    .default({ containers: [] }),
  status: z.looseObject({ hostIP: z.string().optional(), phase: z.string().optional() }).default({}),
});
export type Pod = z.infer<typeof podSchema>;

export const kubeNodeSchema = z.looseObject({
  metadata,
  spec: z.looseObject({ unschedulable: z.boolean().optional() }).default({}),
  status: z.looseObject({ addresses: z.array(address).nullish() }).default({}),
});
export type KubeNode = z.infer<typeof kubeNodeSchema>;

export const pdbSchema = z.looseObject({
  metadata,
  spec: z
    .looseObject({
      selector: z
        .looseObject({
          matchLabels: z.record(z.string(), z.string()).nullish(),
          matchExpressions: z
            .array(
              z.looseObject({
                key: z.string(),
                operator: z.string(),
                values: z.array(z.string()).nullish(),
              }),
            )
            .nullish(),
        })
        .nullish(),
    })
    .default({}),
  status: z.looseObject({ disruptionsAllowed: z.number().optional() }).default({}),
});
export type PodDisruptionBudget = z.infer<typeof pdbSchema>;

/** apiextensions.k8s.io/v1 CustomResourceDefinition: only which versions have which subresources. */
export const crdSchema = z.looseObject({
  metadata,
  spec: z.looseObject({
    group: z.string(),
    versions: z
      .array(
        z.looseObject({
          name: z.string(),
          subresources: z.looseObject({ status: z.unknown().optional() }).nullish(),
        }),
      )
      .default([]),
  }),
});
export type CustomResourceDefinition = z.infer<typeof crdSchema>;

export const listSchema = <T extends z.ZodType>(item: T) =>
  z.looseObject({
    metadata: z
      .looseObject({ continue: z.string().nullish(), resourceVersion: z.string().optional() })
      .default({}),
    items: z
      .array(item)
      .nullish()
      .transform((v) => v ?? []),
  });

/** Parses, or throws an error that says which object did not look like what. */
export function parseObject<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new MalformedObjectError(
      `${what} is not what was expected: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? ''}`,
    );
  }
  return result.data;
}

export class MalformedObjectError extends Error {}
