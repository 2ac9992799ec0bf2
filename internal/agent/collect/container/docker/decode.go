package docker

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// The Engine API's answers, as far as the collector reads them. Field
// names are the API's; unknown fields are ignored, as the API asks of
// clients. The container's Config.Env is deliberately not a field: it is
// never decoded.

// versionInfo is GET /version.
type versionInfo struct {
	Version       string `json:"Version"`
	APIVersion    string `json:"ApiVersion"`
	MinAPIVersion string `json:"MinAPIVersion"`
	Os            string `json:"Os"`
}

// containerSummary is an item of GET /containers/json.
type containerSummary struct {
	ID    string   `json:"Id"`
	Names []string `json:"Names"`
	State string   `json:"State"`
}

// containerJSON is GET /containers/{id}/json.
type containerJSON struct {
	ID              string           `json:"Id"`
	Created         string           `json:"Created"`
	Path            string           `json:"Path"`
	Args            []string         `json:"Args"`
	State           *containerState  `json:"State"`
	Image           string           `json:"Image"`
	Name            string           `json:"Name"`
	AppArmorProfile string           `json:"AppArmorProfile"`
	HostConfig      *hostConfig      `json:"HostConfig"`
	Mounts          []mountPoint     `json:"Mounts"`
	Config          *containerConfig `json:"Config"`
	NetworkSettings *networkSettings `json:"NetworkSettings"`
}

type containerState struct {
	Status     string `json:"Status"`
	Running    bool   `json:"Running"`
	ExitCode   int    `json:"ExitCode"`
	StartedAt  string `json:"StartedAt"`
	FinishedAt string `json:"FinishedAt"`
}

type hostConfig struct {
	NetworkMode   string                   `json:"NetworkMode"`
	PortBindings  map[string][]portBinding `json:"PortBindings"`
	RestartPolicy struct {
		Name string `json:"Name"`
	} `json:"RestartPolicy"`
	CapAdd         strSlice        `json:"CapAdd"`
	CapDrop        strSlice        `json:"CapDrop"`
	CgroupnsMode   string          `json:"CgroupnsMode"`
	IpcMode        string          `json:"IpcMode"`
	PidMode        string          `json:"PidMode"`
	UTSMode        string          `json:"UTSMode"`
	UsernsMode     string          `json:"UsernsMode"`
	Privileged     bool            `json:"Privileged"`
	ReadonlyRootfs bool            `json:"ReadonlyRootfs"`
	SecurityOpt    []string        `json:"SecurityOpt"`
	Devices        []deviceMapping `json:"Devices"`
	Runtime        string          `json:"Runtime"`
}

type portBinding struct {
	HostIP   string `json:"HostIp"`
	HostPort string `json:"HostPort"`
}

type deviceMapping struct {
	PathOnHost      string `json:"PathOnHost"`
	PathInContainer string `json:"PathInContainer"`
}

type mountPoint struct {
	Type        string `json:"Type"`
	Name        string `json:"Name"`
	Source      string `json:"Source"`
	Destination string `json:"Destination"`
	RW          bool   `json:"RW"`
	Propagation string `json:"Propagation"`
}

type containerConfig struct {
	User       string            `json:"User"`
	Cmd        strSlice          `json:"Cmd"`
	Entrypoint strSlice          `json:"Entrypoint"`
	Image      string            `json:"Image"`
	WorkingDir string            `json:"WorkingDir"`
	Labels     map[string]string `json:"Labels"`
}

type networkSettings struct {
	Ports    map[string][]portBinding    `json:"Ports"`
	Networks map[string]*endpointSetting `json:"Networks"`
}

type endpointSetting struct {
	IPAddress         string `json:"IPAddress"`
	GlobalIPv6Address string `json:"GlobalIPv6Address"`
}

// imageSummary is an item of GET /images/json.
type imageSummary struct {
	ID          string            `json:"Id"`
	RepoTags    []string          `json:"RepoTags"`
	RepoDigests []string          `json:"RepoDigests"`
	Created     int64             `json:"Created"`
	Size        int64             `json:"Size"`
	Labels      map[string]string `json:"Labels"`
}

// strSlice is a list of strings that the API may also write as one
// string (Cmd and Entrypoint of old engines).
type strSlice []string

// UnmarshalJSON implements json.Unmarshaler.
func (s *strSlice) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var one string
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = strSlice{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

// decode unmarshals b into v, which must be the whole document.
func decode(b []byte, what string, v any) error {
	if !utf8.Valid(b) {
		return fmt.Errorf("%w: %s: not UTF-8", ErrMalformed, what)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrMalformed, what, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: %s: data after the document", ErrMalformed, what)
	}
	return nil
}

func decodeVersion(b []byte) (versionInfo, error) {
	var v versionInfo
	if err := decode(b, "version", &v); err != nil {
		return versionInfo{}, err
	}
	if v.APIVersion == "" {
		return versionInfo{}, fmt.Errorf("%w: version: no ApiVersion", ErrMalformed)
	}
	return v, nil
}

func decodeContainerList(b []byte) ([]containerSummary, error) {
	var list []containerSummary
	if err := decode(b, "container list", &list); err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(list))
	for _, c := range list {
		if !validContainerID(c.ID) {
			return nil, fmt.Errorf("%w: container list: id %.80q", ErrMalformed, c.ID)
		}
		if seen[c.ID] {
			return nil, fmt.Errorf("%w: container list: id %s twice", ErrMalformed, c.ID)
		}
		seen[c.ID] = true
	}
	return list, nil
}

func decodeContainer(b []byte) (*containerJSON, error) {
	var c containerJSON
	if err := decode(b, "container", &c); err != nil {
		return nil, err
	}
	if !validContainerID(c.ID) {
		return nil, fmt.Errorf("%w: container: id %.80q", ErrMalformed, c.ID)
	}
	if c.State == nil || c.HostConfig == nil || c.Config == nil {
		return nil, fmt.Errorf("%w: container %s: no State, HostConfig or Config", ErrMalformed, c.ID)
	}
	return &c, nil
}

func decodeImages(b []byte) ([]imageSummary, error) {
	var list []imageSummary
	if err := decode(b, "image list", &list); err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(list))
	for _, im := range list {
		if im.ID == "" || len(im.ID) > 256 || strings.ContainsRune(im.ID, 0) {
			return nil, fmt.Errorf("%w: image list: id %.80q", ErrMalformed, im.ID)
		}
		if seen[im.ID] {
			return nil, fmt.Errorf("%w: image list: id %s twice", ErrMalformed, im.ID)
		}
		seen[im.ID] = true
	}
	return list, nil
}

// validContainerID reports whether id is what the engine uses: 64
// lowercase hex digits.
func validContainerID(id string) bool {
	if len(id) != 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
