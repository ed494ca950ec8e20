/**
 * What to remove from a host before it registers again (Rancher docs, "Removing Kubernetes
 * Components from Nodes"). With its Kubernetes node deleted the cattle-node-cleanup Job Rancher
 * creates cannot run there, and a kubelet or docker restart on an uncleaned host registers it again
 * as a new machine- object (rancher/rancher#26545): so it is done by hand, first.
 */
export const HOST_CLEANUP_WARNING =
  'Do not restart docker or the kubelet, and do not reboot, before the host is clean: an uncleaned host registers itself again as a new machine- object.';

export const HOST_CLEANUP: { what: string; how: string }[] = [
  {
    what: 'Containers and volumes',
    how: 'docker rm -f $(docker ps -qa); docker volume rm $(docker volume ls -q)',
  },
  {
    what: 'Mounts',
    how: 'for m in $(mount | grep -E "/var/lib/kubelet|/var/lib/rancher" | awk \'{print $3}\'); do umount $m; done',
  },
  {
    what: 'Kubernetes and Rancher state',
    how: 'rm -rf /etc/ceph /etc/cni /etc/kubernetes /etc/rancher /opt/cni /opt/rke /run/secrets/kubernetes.io /run/calico /run/flannel /var/lib/calico /var/lib/etcd /var/lib/cni /var/lib/kubelet /var/lib/rancher /var/log/containers /var/log/kube-audit /var/log/pods /var/run/calico',
  },
  {
    what: 'Network interfaces and iptables rules',
    how: 'ip link delete flannel.1; ip link delete cni0; ip link delete tunl0 (and cali*, veth*); then iptables -F -t nat; iptables -X -t nat; iptables -F -t mangle; iptables -X -t mangle; iptables -F; iptables -X',
  },
];
