// Package docker is the container/docker collector: the containers and
// images of the host's Docker Engine (asset kinds "container" and
// "image"), read from the Engine API over its unix socket with plain
// net/http: the Docker client modules are not linked into the agent.
//
// # Engine
//
// The socket is /var/run/docker.sock or /run/docker.sock under the host
// root, or the path of the `socket` setting ({"socket":
// "/run/user/1000/docker.sock"}, a path of the host). The collector is
// skipped (unsupported) when the host has no engine socket at the default
// paths when the agent starts. A run first asks GET /version and then uses
// versioned paths: the engine's highest API version, at most 1.47 (the
// newest whose responses the decoders were checked against), raised to the
// engine's minimum when it refuses older ones; engines older than API 1.24
// are refused. Then GET /containers/json?all=1, GET /containers/{id}/json
// for each container and GET /images/json.
//
// A run fails (the inventory is not sent) when the socket is gone, the
// engine refuses the connection or the agent's user is not allowed on the
// socket, when a listing answers with an error or with JSON that cannot be
// decoded, or when a response is larger than its bound (64 MiB for a
// listing, 8 MiB for one container). A container that disappears between
// the listing and its inspection is left out; one whose inspection fails
// otherwise is skipped and counted (skipped_items, of the last run), unless
// every inspection failed: then the run fails.
// Responses that cannot be decoded are counted (malformed_responses).
//
// # Containers
//
// One item per container, running or not. Key: the full container id,
// which a container keeps across restarts; Name: its name without the
// leading slash. What changes at every look (the status text "Up 5
// minutes", the pid, the restart count, the health check's log, the
// network endpoint ids) is not in the item: a restart changes
// vigil.container.started_at only. The environment is never read into
// the item: it often holds secrets. Fields:
//
//	container.id, container.name, container.runtime ("docker")
//	container.image.name           the image as the container names it ("nginx:1.25")
//	container.image.id             the image's id ("sha256:...")
//	container.labels               the container's labels (at most 100, values cut to 512 bytes)
//	container.security_context.privileged
//	process.executable, process.args, process.working_directory
//	                               the container's main process as configured
//	vigil.container.state          "running", "exited", "created", "paused", "restarting", "dead"
//	vigil.container.created, vigil.container.started_at, vigil.container.finished_at
//	                               RFC 3339 times; finished_at and exit_code for a stopped container
//	vigil.container.exit_code
//	vigil.container.user           the configured user ("" is left out: the image's, root unless it sets one)
//	vigil.container.runs_as_root   true when that user is root (empty, "root", "0", "0:...")
//	vigil.container.cap_add, vigil.container.cap_drop
//	vigil.container.security_opt   the engine's security options ("seccomp=unconfined", "no-new-privileges")
//	vigil.container.namespaces     {pid, network, ipc, uts, userns, cgroupns}: "host", "private",
//	                               "container:<id>" ... as configured; empty modes are left out
//	vigil.container.network_mode, vigil.container.networks [{name, ip, ipv6}]
//	vigil.container.ports          [{container_port, protocol, host_ip, host_port}]: the bindings
//	                               in force while it runs, the configured ones otherwise
//	vigil.container.mounts         [{type, source, destination, rw, name, propagation}]
//	vigil.container.devices        host device paths given to the container
//	vigil.container.readonly_rootfs, vigil.container.restart_policy, vigil.container.oci_runtime
//	vigil.container.risks          sorted names of what weakens the isolation (see below)
//	orchestrator.*                 for a Kubernetes container run by the engine (io.kubernetes.*
//	                               labels): type "kubernetes", namespace, resource.type "pod",
//	                               resource.name, resource.id (the pod's uid);
//	                               vigil.kubernetes.container_name
//
// Risks: privileged, host_pid, host_network, host_ipc, host_uts,
// host_userns, runtime_socket_mounted (a bind mount of a container
// engine's socket: docker.sock, containerd.sock, crio.sock, podman.sock,
// or the socket the collector reads), host_root_mounted (the host's / bind
// mounted), seccomp_unconfined, apparmor_unconfined, and cap_<name> for
// each added capability that gives a way out of the container or onto the
// host (SYS_ADMIN, SYS_PTRACE, SYS_MODULE, SYS_RAWIO, DAC_READ_SEARCH,
// NET_ADMIN, BPF, PERFMON, SYS_BOOT, MAC_ADMIN; "ALL" gives cap_all),
// except in a privileged container, which has them all anyway.
//
// # Images
//
// One item per image. Key: the image id ("sha256:..."); Name: the
// repository of its first tag in sorted order ("nginx"), or of its first
// digest, or the short id for an image with neither; Version: that tag.
// Fields: container.image.id, container.image.name, container.image.tag
// (the tags of that repository), container.image.hash.all (the manifest
// digests), vigil.image.registry ("docker.io" when the name has none),
// vigil.image.repo_tags, vigil.image.repo_digests, vigil.image.size (bytes),
// vigil.image.created (RFC 3339) and vigil.image.labels. The counts of
// containers and shared sizes, which change with other objects, are left
// out.
package docker
