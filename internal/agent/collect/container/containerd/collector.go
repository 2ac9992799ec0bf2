package containerd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/imageref"
)

// Name is the collector's name.
const Name = "container/containerd"

// Instance is one containerd installation: its state and root
// directories, as paths of the host.
type Instance struct {
	State string `json:"state"`
	Root  string `json:"root"`
}

// DefaultInstances are containerd's own directories and those of k3s's
// embedded containerd.
var DefaultInstances = []Instance{
	{State: "/run/containerd", Root: "/var/lib/containerd"},
	{State: "/run/k3s/containerd", Root: "/var/lib/rancher/k3s/agent/containerd"},
}

// SkippedNamespaces are the namespaces whose containers and images
// another collector reports: Docker's (container/docker reads them from
// the engine).
var SkippedNamespaces = []string{"moby", "plugins.moby"}

// ErrNoContainerd: none of the instances exists on the host.
var ErrNoContainerd = errors.New("no containerd state or root directory")

// Settings are the collector's policy settings.
type Settings struct {
	// Instances replace DefaultInstances when set.
	Instances []Instance `json:"instances,omitempty"`
}

// Collector is the container/containerd collector.
type Collector struct {
	mu       sync.Mutex
	settings Settings

	malformed atomic.Uint64 // total
	skipped   atomic.Uint64 // of the last run
}

var (
	_ plugin.AssetCollector = (*Collector)(nil)
	_ plugin.Configurer     = (*Collector)(nil)
	_ plugin.Tunable        = (*Collector)(nil)
	_ plugin.Counted        = (*Collector)(nil)
)

// New returns the collector.
func New() *Collector { return &Collector{} }

// Name implements plugin.Plugin.
func (*Collector) Name() string { return Name }

// Requirements implements plugin.Plugin: containerd's directories are
// root's only.
func (*Collector) Requirements() plugin.Requirements {
	return plugin.Requirements{OS: []string{"linux"}, Root: true}
}

// DefaultInterval implements plugin.Collector.
func (*Collector) DefaultInterval() time.Duration { return 10 * time.Minute }

// Kinds implements plugin.AssetCollector.
func (*Collector) Kinds() []string { return []string{event.AssetContainer, event.AssetImage} }

// Counters implements plugin.Counted: malformed_records (runtime specs,
// metadata records and manifests that could not be read, total) and
// skipped_items (items left out of the last run: too large, or a key
// seen twice).
func (c *Collector) Counters() map[string]uint64 {
	return map[string]uint64{
		"malformed_records": c.malformed.Load(),
		"skipped_items":     c.skipped.Load(),
	}
}

// Configure implements plugin.Configurer: a host with none of the default
// instances does not run containerd, and the collector is skipped.
func (c *Collector) Configure(env plugin.Env) error {
	c.mu.Lock()
	instances := c.settings.Instances
	c.mu.Unlock()
	if len(instances) == 0 {
		instances = DefaultInstances
	}
	if len(present(env.Root, instances)) == 0 {
		return fmt.Errorf("%w: %w: looked for %v", plugin.ErrUnsupported, ErrNoContainerd, instances)
	}
	return nil
}

// ApplySettings implements plugin.Tunable.
func (c *Collector) ApplySettings(raw json.RawMessage) error {
	var s Settings
	if err := plugin.DecodeSettings(raw, &s); err != nil {
		return fmt.Errorf("%s: %w", Name, err)
	}
	for _, in := range s.Instances {
		if !path.IsAbs(in.State) || !path.IsAbs(in.Root) {
			return fmt.Errorf("%s: settings: instance %+v: state and root must be absolute paths", Name, in)
		}
	}
	c.mu.Lock()
	c.settings = s
	c.mu.Unlock()
	return nil
}

// present returns the instances whose task directory or metadata
// database exists under root.
func present(root string, instances []Instance) []Instance {
	var out []Instance
	for _, in := range instances {
		for _, p := range []string{filepath.Join(root, in.State, taskDir), filepath.Join(root, in.Root, metaFile)} {
			if _, err := os.Stat(p); err == nil {
				out = append(out, in)
				break
			}
		}
	}
	return out
}

// Assets implements plugin.AssetCollector.
func (c *Collector) Assets(ctx context.Context, env plugin.Env) ([]event.Asset, error) {
	c.mu.Lock()
	instances := c.settings.Instances
	c.mu.Unlock()
	if len(instances) == 0 {
		instances = DefaultInstances
	}
	root := env.Root
	if root == "" {
		root = "/"
	}
	found := present(root, instances)
	if len(found) == 0 {
		return nil, fmt.Errorf("%w: looked for %v", ErrNoContainerd, instances)
	}
	tmp := os.TempDir()
	if env.DataDir != "" {
		tmp = filepath.Join(env.DataDir, "state", filepath.FromSlash(Name))
	}
	var out []event.Asset
	seen := map[string]bool{}
	skipped := 0
	for _, in := range found {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		assets, malformed, err := readInstance(root, in, tmp)
		c.malformed.Add(uint64(malformed))
		if err != nil {
			return nil, err
		}
		for _, a := range assets {
			if seen[a.ID()] || a.Validate() != nil {
				skipped++
				continue
			}
			seen[a.ID()] = true
			out = append(out, a)
		}
	}
	c.skipped.Store(uint64(skipped))
	return out, nil
}

// readInstance reads the containers and images of one instance.
func readInstance(root string, in Instance, tmp string) ([]event.Asset, int, error) {
	stateDir, rootDir := filepath.Join(root, in.State), filepath.Join(root, in.Root)
	meta, err := readMeta(filepath.Join(rootDir, metaFile), tmp)
	if err != nil {
		return nil, 0, fmt.Errorf("containerd metadata: %w", err)
	}
	if meta == nil {
		meta = &metaDB{}
	}
	malformed := meta.malformed
	tasks, bad, err := scanTasks(stateDir, filepath.Join(root, "proc"))
	malformed += bad
	if err != nil {
		return nil, malformed, err
	}
	images, bad := imageAssets(rootDir, meta)
	malformed += bad
	ids := imageIDs(images)

	type key struct{ ns, id string }
	byKey := map[key]*task{}
	for i := range tasks {
		byKey[key{tasks[i].ns, tasks[i].id}] = &tasks[i]
	}
	var keys []key
	for k := range byKey {
		keys = append(keys, k)
	}
	for ns, cs := range meta.containers {
		for id := range cs {
			if _, ok := byKey[key{ns, id}]; !ok && validName(ns) && validName(id) {
				keys = append(keys, key{ns, id})
			}
		}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := strings.Compare(a.ns, b.ns); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	var out []event.Asset
	for _, k := range keys {
		if slices.Contains(SkippedNamespaces, k.ns) {
			continue
		}
		mc := meta.containers[k.ns][k.id]
		t := byKey[k]
		s := (*spec)(nil)
		if t != nil {
			s = t.spec
		}
		if s == nil && mc != nil && mc.Spec != nil {
			var err error
			if s, err = decodeSpec(mc.Spec); err != nil {
				malformed++
			}
		}
		a, ok := containerAsset(k.ns, k.id, t, mc, s, ids)
		if ok {
			out = append(out, a)
		}
	}
	for _, a := range images {
		if ns := event.Event(a.Fields).String("vigil.containerd.namespace"); !slices.Contains(SkippedNamespaces, ns) {
			out = append(out, a)
		}
	}
	return out, malformed, nil
}

// CRI's annotations on a container's runtime spec, and its labels on
// the container record.
const (
	annType         = "io.kubernetes.cri.container-type"
	annName         = "io.kubernetes.cri.container-name"
	annImage        = "io.kubernetes.cri.image-name"
	annPod          = "io.kubernetes.cri.sandbox-name"
	annPodNamespace = "io.kubernetes.cri.sandbox-namespace"
	annPodUID       = "io.kubernetes.cri.sandbox-uid"
	labelKind       = "io.cri-containerd.kind"
)

// Bounds on the labels kept in an item.
const (
	maxLabels     = 100
	maxLabelValue = 512
)

// containerAsset makes the item of one container, from its task (nil
// when it has none), its record (nil when the database does not have it)
// and its spec (nil when neither had a readable one). Sandboxes (a pod's
// pause container) are not items: false.
func containerAsset(ns, id string, t *task, mc *metaContainer, s *spec, imageIDs map[string]string) (event.Asset, bool) {
	ann := map[string]string{}
	if s != nil {
		ann = s.Annotations
	}
	var labels map[string]string
	if mc != nil {
		labels = mc.Labels
	}
	if ann[annType] == "sandbox" || labels[labelKind] == "sandbox" {
		return event.Asset{}, false
	}
	pick := func(a, l string) string {
		if v := ann[a]; v != "" {
			return v
		}
		return labels[l]
	}
	f := event.Event{}
	f.Set("container.id", id)
	f.Set("container.runtime", "containerd")
	f.Set("vigil.containerd.namespace", ns)
	cname := pick(annName, "io.kubernetes.container.name")
	pod := pick(annPod, "io.kubernetes.pod.name")
	name := id
	if cname != "" {
		f.Set("container.name", cname)
		if pod != "" {
			name = pod + "/" + cname
		}
	} else {
		f.Set("container.name", id)
	}
	image := ann[annImage]
	if image == "" && mc != nil {
		image = mc.Image
	}
	if image != "" {
		f.Set("container.image.name", image)
		if iid := imageIDs[ns+"\x00"+image]; iid != "" {
			f.Set("container.image.id", iid)
		}
	}
	if l, dropped := imageref.BoundLabels(labels, maxLabels, maxLabelValue); len(l) > 0 {
		f.Set("container.labels", l)
		if dropped > 0 {
			f.Set("vigil.container.labels_dropped", dropped)
		}
	}
	switch {
	case t != nil && t.running:
		f.Set("vigil.container.state", "running")
	case t != nil:
		f.Set("vigil.container.state", "stopped")
	default:
		f.Set("vigil.container.state", "no_task")
	}
	if t != nil && !t.startedAt.IsZero() {
		f.Set("vigil.container.started_at", t.startedAt.Format(time.RFC3339Nano))
	}
	if mc != nil {
		if !mc.Created.IsZero() {
			f.Set("vigil.container.created", mc.Created.UTC().Format(time.RFC3339Nano))
		}
		if mc.Runtime != "" {
			f.Set("vigil.container.oci_runtime", mc.Runtime)
		}
	}
	if s != nil {
		s.facts(f)
	} else {
		f.Set("vigil.container.spec_unreadable", true)
	}
	if pod != "" {
		f.Set("orchestrator.type", "kubernetes")
		f.Set("orchestrator.resource.type", "pod")
		f.Set("orchestrator.resource.name", pod)
		if v := pick(annPodNamespace, "io.kubernetes.pod.namespace"); v != "" {
			f.Set("orchestrator.namespace", v)
		}
		if v := pick(annPodUID, "io.kubernetes.pod.uid"); v != "" {
			f.Set("orchestrator.resource.id", v)
		}
		if cname != "" {
			f.Set("vigil.kubernetes.container_name", cname)
		}
	}
	return event.Asset{Kind: event.AssetContainer, Key: ns + "/" + id, Name: name, Fields: f}, true
}

// imageAssets makes one item per namespace and target digest: containerd
// keeps one record per name, and an image pulled by Kubernetes has
// several (tag, repository digest, id). It returns the number of
// manifests that could not be read.
func imageAssets(rootDir string, meta *metaDB) ([]event.Asset, int) {
	malformed := 0
	nss := make([]string, 0, len(meta.images))
	for ns := range meta.images {
		nss = append(nss, ns)
	}
	slices.Sort(nss)
	var out []event.Asset
	for _, ns := range nss {
		groups := map[string][]*metaImage{}
		var digests []string
		for _, im := range meta.images[ns] {
			if _, ok := groups[im.Digest]; !ok {
				digests = append(digests, im.Digest)
			}
			groups[im.Digest] = append(groups[im.Digest], im)
		}
		slices.Sort(digests)
		for _, d := range digests {
			a, bad := imageAsset(rootDir, ns, d, groups[d])
			malformed += bad
			out = append(out, a)
		}
	}
	return out, malformed
}

func imageAsset(rootDir, ns, digest string, recs []*metaImage) (event.Asset, int) {
	var tags, refs, all []string
	idName := ""
	added := time.Time{}
	var first *metaImage
	for _, im := range recs {
		all = append(all, im.Name)
		switch {
		case strings.HasPrefix(im.Name, "sha256:") && !strings.Contains(im.Name, "/"):
			idName = im.Name
		case strings.Contains(im.Name, "@"):
			refs = append(refs, im.Name)
		default:
			tags = append(tags, im.Name)
		}
		if !im.Created.IsZero() && (added.IsZero() || im.Created.Before(added)) {
			added = im.Created
		}
	}
	slices.Sort(tags)
	slices.Sort(refs)
	slices.Sort(all)
	repo, tag := "", ""
	switch {
	case len(tags) > 0:
		repo, tag = imageref.SplitTag(tags[0])
	case len(refs) > 0:
		repo, _, _ = strings.Cut(refs[0], "@")
	default:
		repo = imageref.Short(digest)
	}
	if repo == "" {
		// A name with no repository (":tag", "@sha256:..."): the image is
		// known by its digest.
		repo = imageref.Short(digest)
	}
	for _, im := range recs {
		if first == nil || len(tags) > 0 && im.Name == tags[0] {
			first = im
		}
	}
	f := event.Event{}
	f.Set("vigil.containerd.namespace", ns)
	f.Set("container.image.name", repo)
	var sameRepo []string
	for _, t := range tags {
		if r, tg := imageref.SplitTag(t); r == repo && tg != "" {
			sameRepo = append(sameRepo, tg)
		}
	}
	if len(sameRepo) > 0 {
		f.Set("container.image.tag", sameRepo)
	}
	f.Set("container.image.hash.all", []string{digest})
	f.Set("vigil.image.references", all)
	if len(tags) > 0 || len(refs) > 0 {
		f.Set("vigil.image.registry", imageref.Registry(repo))
	}
	f.Set("vigil.image.media_type", first.MediaType)
	if !added.IsZero() {
		f.Set("vigil.image.added_at", added.UTC().Format(time.RFC3339Nano))
	}
	malformed := 0
	info, ok, err := resolveImage(rootDir, digest, first.MediaType)
	switch {
	case err != nil:
		malformed++
	case ok:
		f.Set("container.image.id", info.ConfigDigest)
		f.Set("vigil.image.size", info.Size)
	}
	if !ok && idName != "" {
		f.Set("container.image.id", idName)
	}
	if l, dropped := imageref.BoundLabels(first.Labels, maxLabels, maxLabelValue); len(l) > 0 {
		f.Set("vigil.image.labels", l)
		if dropped > 0 {
			f.Set("vigil.image.labels_dropped", dropped)
		}
	}
	return event.Asset{Kind: event.AssetImage, Key: ns + "/" + digest, Name: repo, Version: tag, Fields: f}, malformed
}

// imageIDs maps namespace, NUL and every image name to the image's id, for
// the containers.
func imageIDs(images []event.Asset) map[string]string {
	out := map[string]string{}
	for _, a := range images {
		f := event.Event(a.Fields)
		id := f.String("container.image.id")
		if id == "" {
			continue
		}
		ns := f.String("vigil.containerd.namespace")
		refs, _ := f.Get("vigil.image.references")
		list, _ := refs.([]string)
		for _, r := range list {
			out[ns+"\x00"+r] = id
		}
	}
	return out
}
