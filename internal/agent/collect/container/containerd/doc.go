// Package containerd is the container/containerd collector: the
// containers and images of the host's containerd (asset kinds "container"
// and "image"), Kubernetes pods' containers included, read from
// containerd's files rather than through its gRPC API: the containerd
// client modules are not linked into the agent.
//
// # Sources
//
// An instance is a state directory and a root directory: containerd's own
// (/run/containerd, /var/lib/containerd) and k3s's embedded one
// (/run/k3s/containerd, /var/lib/rancher/k3s/agent/containerd), or those
// of the `instances` setting ({"instances": [{"state": ..., "root":
// ...}]}, paths of the host). The collector is skipped (unsupported) when
// none of the default instances exists when the agent starts.
//
//   - Tasks: <state>/io.containerd.runtime.v2.task/<namespace>/<id>/,
//     written by the runc v2 shim: config.json is the OCI runtime spec in
//     force, init.pid the container's first process. A task is "running"
//     when that process lives in a cgroup that names the container (a pid
//     reused by another process does not count), "stopped" otherwise.
//   - Metadata: <root>/io.containerd.metadata.v1.bolt/meta.db, a bbolt
//     database: every container (with its image, runtime, labels and
//     spec, also when it has no task) and every image name. containerd
//     holds an exclusive lock on it while it runs, so it is copied (at
//     most 256 MiB) into the agent's state directory
//     (<data>/state/container/containerd) and read from the copy, which
//     is removed; a copy during which the file changed is made again, up
//     to five times.
//   - Content: <root>/io.containerd.content.v1.content/blobs: an image's
//     manifest (through its index, for this host's platform) gives the
//     image's config digest (its id) and size.
//
// The namespaces of Docker ("moby", "plugins.moby") are left out: the
// container/docker collector reports them from the engine.
//
// A run fails (the inventory is not sent) when no instance is found, a
// task directory cannot be listed, or the metadata database cannot be
// read (damaged, larger than the bound, or changing during every copy). A
// runtime spec, metadata record or manifest that cannot be read is
// counted (malformed_records) and its item is made without it.
//
// # Containers
//
// One item per container of a namespace, with or without a task, except
// the sandboxes of Kubernetes pods (the pause containers: CRI annotation
// io.kubernetes.cri.container-type "sandbox"). Key: "<namespace>/<id>";
// Name: "<pod>/<container>" for a Kubernetes container, the id
// otherwise. The CRI plugin makes a new container, with a new id, when a
// pod's container restarts: the old item goes and a new one comes. The
// pid is not in the item, nor the process's environment (it often holds
// secrets: it is never decoded). Fields:
//
//	container.id, container.name, container.runtime ("containerd")
//	container.image.name          the image the container was made from
//	container.image.id            that image's config digest, when the store has it
//	container.labels              the container record's labels (at most 100)
//	container.security_context.privileged
//	                              inferred: a bounding set with CAP_SYS_ADMIN and at
//	                              least 38 capabilities, what containerd's and CRI's
//	                              privileged mode give (the spec has no flag)
//	process.executable, process.args, process.working_directory
//	vigil.containerd.namespace
//	vigil.container.state         "running", "stopped" (a task whose process is gone),
//	                              "no_task" (never started, or its task was deleted)
//	vigil.container.started_at    when the task started (init.pid was written)
//	vigil.container.created, vigil.container.oci_runtime
//	vigil.container.user          "uid:gid"; vigil.container.runs_as_root
//	vigil.container.cap_add, vigil.container.cap_drop
//	                              the bounding set against containerd's default set
//	                              (cap_add is left out for a privileged container)
//	vigil.container.namespaces    {pid, network, ipc, uts, cgroupns, userns}: "host" when
//	                              the spec does not list it, "joined" when it joins
//	                              another's (a pod's sandbox), "private"
//	vigil.container.seccomp       whether a seccomp filter applies
//	vigil.container.apparmor_profile, vigil.container.no_new_privileges,
//	vigil.container.readonly_rootfs
//	vigil.container.mounts        bind mounts [{source, destination, rw, propagation}];
//	                              for Kubernetes containers the kubelet's and CRI's own
//	                              (hosts, resolv.conf, shm, service account token, the
//	                              pod's volumes under /var/lib/kubelet/pods) are left out,
//	                              hostPath volumes stay
//	vigil.container.devices       device paths given (not for a privileged container)
//	vigil.container.risks         privileged, host_pid, host_network, host_ipc, host_uts,
//	                              seccomp_unconfined, apparmor_unconfined,
//	                              runtime_socket_mounted, host_root_mounted and cap_<name>
//	                              for the added capabilities that lead out of a container
//	orchestrator.*                for a Kubernetes container: type "kubernetes",
//	                              namespace, resource.type "pod", resource.name,
//	                              resource.id (pod uid); vigil.kubernetes.container_name
//
// # Images
//
// One item per namespace and target digest: containerd keeps one record
// per image name, and Kubernetes pulls give an image three (tag,
// repository digest, id). Key: "<namespace>/<target digest>"; Name: the
// repository of the first tag in sorted order (else of the first digest
// reference, else the short digest); Version: that tag. Fields:
// container.image.name, container.image.tag, container.image.hash.all
// (the target digest: what Kubernetes shows as the repository digest),
// container.image.id (the config digest), vigil.image.references (every
// name), vigil.image.registry, vigil.image.media_type, vigil.image.size
// (config and layers, compressed, when the manifest is in the store),
// vigil.image.added_at (when containerd first recorded it),
// vigil.image.labels, vigil.containerd.namespace.
package containerd
