// Package imageref reads container image references and bounds the
// labels of containers, images and Kubernetes objects, the same way for
// the agent's container collectors and the center's cluster inventory.
// It does no I/O.
package imageref

import (
	"slices"
	"strings"
)

// SplitTag splits "registry:5000/repo:tag" into repository and tag; the
// tag is "" when there is none.
func SplitTag(ref string) (repo, tag string) {
	i := strings.LastIndexByte(ref, ':')
	if i < 0 || strings.Contains(ref[i+1:], "/") {
		return ref, ""
	}
	return ref[:i], ref[i+1:]
}

// Registry is the registry host of a repository: its first component
// when that looks like a host (has a dot or a port, or is "localhost"),
// else Docker Hub.
func Registry(repo string) string {
	first, _, ok := strings.Cut(repo, "/")
	if ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		return first
	}
	return "docker.io"
}

// Short is an id or digest cut to its algorithm and first 12 digits
// ("sha256:4c3d2e1f0a9b"); an id without an algorithm keeps none.
func Short(id string) string {
	algo, hex, ok := strings.Cut(id, ":")
	if !ok {
		hex, algo = id, ""
	}
	if len(hex) > 12 {
		hex = hex[:12]
	}
	if algo == "" {
		return hex
	}
	return algo + ":" + hex
}

// BoundLabels keeps the first maxLabels labels by name, each value cut to
// at most maxValue bytes on a UTF-8 boundary; it returns how many labels
// were dropped. No labels give nil.
func BoundLabels(labels map[string]string, maxLabels, maxValue int) (map[string]any, int) {
	if len(labels) == 0 {
		return nil, 0
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dropped := 0
	if len(keys) > maxLabels {
		dropped = len(keys) - maxLabels
		keys = keys[:maxLabels]
	}
	out := make(map[string]any, len(keys))
	for _, k := range keys {
		v := labels[k]
		if len(v) > maxValue {
			n := maxValue
			for n > 0 && v[n]&0xC0 == 0x80 {
				n--
			}
			v = v[:n]
		}
		out[k] = v
	}
	return out, dropped
}
