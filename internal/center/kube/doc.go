// Package kube is the center's Kubernetes inventory source: it lists a
// cluster's namespaces, nodes, pods, services, deployments, daemon sets
// and stateful sets, and the images its pods run, through the API
// server's REST API with plain net/http (client-go is not linked into the
// center), and returns them as assets.
//
// # Access
//
// A Config holds the API server's URL, a bearer token (or a client
// certificate) and the cluster's CA; LoadKubeconfig makes one from a
// kubeconfig file. The account needs get and list on namespaces, nodes,
// pods and services (core) and deployments, daemonsets and statefulsets
// (apps), cluster-wide; for a service account:
//
//	apiVersion: rbac.authorization.k8s.io/v1
//	kind: ClusterRole
//	metadata: {name: vigil-inventory}
//	rules:
//	- apiGroups: [""]
//	  resources: [namespaces, nodes, pods, services]
//	  verbs: [get, list]
//	- apiGroups: [apps]
//	  resources: [deployments, daemonsets, statefulsets]
//	  verbs: [get, list]
//
// Secrets, config maps and containers' environment are never read.
//
// Each collection is read in pages (limit, 500 by default, and continue).
// A continue token that expired (410 Gone) starts that collection's
// listing again, at most twice. Inventory fails, and the set is not to be
// used, when a listing is refused (401: ErrUnauthorized, 403:
// ErrForbidden, with the API server's message naming the missing
// permission), fails, or answers with JSON that is not a list of valid
// objects (ErrMalformed), or when a page exceeds 64 MiB or a collection
// 200,000 objects (ErrTooLarge).
//
// # Items
//
// Every item has orchestrator.type "kubernetes", orchestrator.cluster.name
// (Config.ClusterName), orchestrator.resource.{type, name, id (uid)},
// orchestrator.namespace for namespaced objects, vigil.kubernetes.created
// and vigil.kubernetes.labels (at most 64). What moves on its own
// (resourceVersion, managed fields, status conditions' times, restart
// counts, ready replica counts, container states) is not in the items, so
// that an unchanged cluster reads the same. Annotations are left out:
// they hold whole last-applied configurations.
//
//	kind           key                       name
//	k8s_namespace  <name>                    name; phase, Pod Security Admission levels
//	k8s_node       <name>                    name, version: kubelet version; host.os.*,
//	                                         host.ip, roles, taints, ready, capacity,
//	                                         container runtime, addresses
//	pod            <namespace>/<name>        name; owner (a ReplicaSet's Deployment is
//	                                         named), node, phase, pod IPs, QoS class and
//	                                         the pod spec's facts (below)
//	k8s_service    <namespace>/<name>        name; type, cluster IPs, external IPs, load
//	                                         balancer ingress, ports with node ports,
//	                                         selector, exposure (node_port,
//	                                         load_balancer, external_ip)
//	k8s_workload   <Kind>/<namespace>/<name> name; Deployment, DaemonSet or StatefulSet:
//	                                         replicas, selector, update strategy and the
//	                                         pod template's facts
//	image          full reference            repository, version: tag; the digests the
//	                                         kubelets report, registry, namespaces and
//	                                         workloads using it
//
// A pod spec's facts (vigil.kubernetes.pod.* or
// vigil.kubernetes.workload.*): service_account,
// automount_service_account_token, host_network, host_pid, host_ipc,
// priority_class, host_path_volumes [{name, path, type}], containers
// [{name, image, image_digest, kind (init, ephemeral), privileged,
// allow_privilege_escalation, run_as_user, run_as_non_root,
// read_only_root_filesystem, capabilities_add, seccomp_profile,
// host_ports, host_path_mounts}] and risks: privileged, host_network,
// host_pid, host_ipc, host_path, host_root_mounted,
// runtime_socket_mounted, host_port, seccomp_unconfined (an explicit
// Unconfined profile) and cap_<name> for added capabilities that lead out
// of a container.
//
// Images are written in full as the runtimes resolve them ("nginx" is
// "docker.io/library/nginx:latest"), so that two spellings of one
// image are one item.
//
// # Kinds
//
// Pods and images have the kinds event.AssetPod and event.AssetImage;
// namespaces, nodes, services and workloads have kinds of their own
// (KindNamespace, KindNode, KindService, KindWorkload: event.AssetK8s*).
package kube
