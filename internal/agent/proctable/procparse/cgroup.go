package procparse

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// CgroupLine is one line of /proc/PID/cgroup: hierarchy id, controllers
// (empty for the unified hierarchy, "name=systemd" for named ones) and
// the path of the process's cgroup in that hierarchy.
type CgroupLine struct {
	Hierarchy   int
	Controllers string
	Path        string
}

// ParseCgroup parses /proc/PID/cgroup.
func ParseCgroup(b []byte) ([]CgroupLine, error) {
	var out []CgroupLine
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if len(line) == 0 {
			continue
		}
		id, rest, ok1 := bytes.Cut(line, []byte(":"))
		ctl, path, ok2 := bytes.Cut(rest, []byte(":"))
		if !ok1 || !ok2 {
			return out, fmt.Errorf("%w: cgroup: line %q lacks two colons", ErrMalformed, line)
		}
		h, err := strconv.Atoi(string(id))
		if err != nil || h < 0 {
			return out, fmt.Errorf("%w: cgroup: bad hierarchy id %q", ErrMalformed, id)
		}
		if len(path) == 0 || path[0] != '/' {
			return out, fmt.Errorf("%w: cgroup: path %q is not absolute", ErrMalformed, path)
		}
		out = append(out, CgroupLine{Hierarchy: h, Controllers: string(ctl), Path: string(path)})
	}
	return out, nil
}

// Container runtimes that ContainerFromPath recognizes.
const (
	RuntimeDocker     = "docker"
	RuntimeContainerd = "containerd"
	RuntimeCRIO       = "cri-o"
	RuntimePodman     = "podman"
	// RuntimeKubernetes: a kubepods cgroup whose runtime the path does
	// not name (cgroupfs driver: /kubepods/burstable/pod<uid>/<id>).
	RuntimeKubernetes = "kubernetes"
)

// Container is what a cgroup path tells of the container a process runs
// in.
type Container struct {
	// ID is the container's id, 64 lower-case hex digits.
	ID string
	// Runtime is one of the Runtime* constants.
	Runtime string
	// PodUID is the Kubernetes pod's uid, when the path is under kubepods.
	PodUID string
}

// scopePrefixes are the prefixes of systemd scope units that hold a
// container, with the runtime they name. The "conmon" scopes of podman
// and cri-o hold the monitor process, not the container.
var scopePrefixes = []struct{ prefix, runtime string }{
	{"docker-", RuntimeDocker},
	{"cri-containerd-", RuntimeContainerd},
	{"crio-", RuntimeCRIO},
	{"libpod-", RuntimePodman},
}

// ContainerFromPath finds the container in a cgroup path. It recognizes
// systemd scopes (docker-ID.scope, cri-containerd-ID.scope,
// crio-ID.scope, libpod-ID.scope, also below kubepods slices) and the
// cgroupfs layouts (/docker/ID, /kubepods/.../pod<uid>/ID,
// /machine.slice/libpod-ID.scope/container, /libpod_parent/libpod-ID).
// The innermost path component that names a container wins (a container
// inside a container names the inner one).
func ContainerFromPath(path string) (Container, bool) {
	var found Container
	ok := false
	var pod string
	kube := false
	prevDocker := false
	for part := range strings.SplitSeq(path, "/") {
		if part == "" {
			continue
		}
		if strings.HasPrefix(part, "kubepods") {
			kube = true
		}
		if uid, isPod := podUID(part); isPod && kube {
			pod = uid
		}
		if c, is := containerInPart(part, prevDocker, kube); is {
			found, ok = c, true
			if kube && pod != "" {
				found.PodUID = pod
			}
		}
		prevDocker = part == "docker"
	}
	return found, ok
}

// containerInPart recognizes one path component.
func containerInPart(part string, afterDocker, kube bool) (Container, bool) {
	if strings.Contains(part, "conmon") {
		return Container{}, false
	}
	name := strings.TrimSuffix(part, ".scope")
	for _, p := range scopePrefixes {
		if id, ok := strings.CutPrefix(name, p.prefix); ok && isContainerID(id) {
			return Container{ID: id, Runtime: p.runtime}, true
		}
	}
	if !isContainerID(part) {
		return Container{}, false
	}
	switch {
	case afterDocker:
		return Container{ID: part, Runtime: RuntimeDocker}, true
	case kube:
		return Container{ID: part, Runtime: RuntimeKubernetes}, true
	}
	return Container{}, false
}

// podUID returns the uid in a pod cgroup name: "pod<uid>" (cgroupfs) or
// "kubepods-<qos>-pod<uid with _>.slice" (systemd).
func podUID(part string) (string, bool) {
	i := strings.LastIndex(part, "pod")
	if i < 0 {
		return "", false
	}
	uid := strings.TrimSuffix(part[i+3:], ".slice")
	uid = strings.ReplaceAll(uid, "_", "-")
	if len(uid) != 36 {
		return "", false
	}
	for _, c := range uid {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c == '-') {
			return "", false
		}
	}
	return uid, true
}

// isContainerID reports whether s is 64 lower-case hex digits.
func isContainerID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// ContainerFromCgroup parses /proc/PID/cgroup and finds the container in
// any of its hierarchies (the unified one first).
func ContainerFromCgroup(b []byte) (Container, bool, error) {
	lines, err := ParseCgroup(b)
	for _, l := range lines {
		if l.Hierarchy == 0 && l.Controllers == "" {
			if c, ok := ContainerFromPath(l.Path); ok {
				return c, true, err
			}
		}
	}
	for _, l := range lines {
		if c, ok := ContainerFromPath(l.Path); ok {
			return c, true, err
		}
	}
	return Container{}, false, err
}
