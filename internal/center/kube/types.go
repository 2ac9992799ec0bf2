package kube

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// The Kubernetes API's objects, as far as read. Field names are the
// API's (core/v1 and apps/v1); unknown fields are ignored. Secrets,
// config maps and environment variables are never read.

type objectMeta struct {
	Name              string            `json:"name"`
	Namespace         string            `json:"namespace"`
	UID               string            `json:"uid"`
	CreationTimestamp string            `json:"creationTimestamp"`
	Labels            map[string]string `json:"labels"`
	OwnerReferences   []struct {
		Kind       string `json:"kind"`
		Name       string `json:"name"`
		Controller *bool  `json:"controller"`
	} `json:"ownerReferences"`
}

type namespace struct {
	Metadata objectMeta `json:"metadata"`
	Status   struct {
		Phase string `json:"phase"`
	} `json:"status"`
}

type node struct {
	Metadata objectMeta `json:"metadata"`
	Spec     struct {
		PodCIDRs      []string `json:"podCIDRs"`
		ProviderID    string   `json:"providerID"`
		Unschedulable bool     `json:"unschedulable"`
		Taints        []struct {
			Key    string `json:"key"`
			Value  string `json:"value"`
			Effect string `json:"effect"`
		} `json:"taints"`
	} `json:"spec"`
	Status struct {
		Capacity  map[string]string `json:"capacity"`
		Addresses []struct {
			Type    string `json:"type"`
			Address string `json:"address"`
		} `json:"addresses"`
		Conditions []struct {
			Type   string `json:"type"`
			Status string `json:"status"`
		} `json:"conditions"`
		NodeInfo struct {
			KernelVersion           string `json:"kernelVersion"`
			OSImage                 string `json:"osImage"`
			ContainerRuntimeVersion string `json:"containerRuntimeVersion"`
			KubeletVersion          string `json:"kubeletVersion"`
			OperatingSystem         string `json:"operatingSystem"`
			Architecture            string `json:"architecture"`
		} `json:"nodeInfo"`
	} `json:"status"`
}

type securityContext struct {
	Privileged               *bool  `json:"privileged"`
	AllowPrivilegeEscalation *bool  `json:"allowPrivilegeEscalation"`
	RunAsUser                *int64 `json:"runAsUser"`
	RunAsNonRoot             *bool  `json:"runAsNonRoot"`
	ReadOnlyRootFilesystem   *bool  `json:"readOnlyRootFilesystem"`
	Capabilities             *struct {
		Add  []string `json:"add"`
		Drop []string `json:"drop"`
	} `json:"capabilities"`
	SeccompProfile *struct {
		Type string `json:"type"`
	} `json:"seccompProfile"`
}

type container struct {
	Name  string `json:"name"`
	Image string `json:"image"`
	Ports []struct {
		ContainerPort int32  `json:"containerPort"`
		HostPort      int32  `json:"hostPort"`
		HostIP        string `json:"hostIP"`
		Protocol      string `json:"protocol"`
	} `json:"ports"`
	SecurityContext *securityContext `json:"securityContext"`
	VolumeMounts    []struct {
		Name      string `json:"name"`
		MountPath string `json:"mountPath"`
		ReadOnly  bool   `json:"readOnly"`
	} `json:"volumeMounts"`
}

type podSpec struct {
	NodeName                     string      `json:"nodeName"`
	ServiceAccountName           string      `json:"serviceAccountName"`
	AutomountServiceAccountToken *bool       `json:"automountServiceAccountToken"`
	HostNetwork                  bool        `json:"hostNetwork"`
	HostPID                      bool        `json:"hostPID"`
	HostIPC                      bool        `json:"hostIPC"`
	PriorityClassName            string      `json:"priorityClassName"`
	Containers                   []container `json:"containers"`
	InitContainers               []container `json:"initContainers"`
	EphemeralContainers          []container `json:"ephemeralContainers"`
	SecurityContext              *struct {
		RunAsUser      *int64 `json:"runAsUser"`
		RunAsNonRoot   *bool  `json:"runAsNonRoot"`
		SeccompProfile *struct {
			Type string `json:"type"`
		} `json:"seccompProfile"`
	} `json:"securityContext"`
	Volumes []struct {
		Name     string `json:"name"`
		HostPath *struct {
			Path string `json:"path"`
			Type string `json:"type"`
		} `json:"hostPath"`
	} `json:"volumes"`
}

type containerStatus struct {
	Name    string `json:"name"`
	Image   string `json:"image"`
	ImageID string `json:"imageID"`
}

type pod struct {
	Metadata objectMeta `json:"metadata"`
	Spec     podSpec    `json:"spec"`
	Status   struct {
		Phase  string `json:"phase"`
		HostIP string `json:"hostIP"`
		PodIPs []struct {
			IP string `json:"ip"`
		} `json:"podIPs"`
		PodIP                      string            `json:"podIP"`
		QOSClass                   string            `json:"qosClass"`
		ContainerStatuses          []containerStatus `json:"containerStatuses"`
		InitContainerStatuses      []containerStatus `json:"initContainerStatuses"`
		EphemeralContainerStatuses []containerStatus `json:"ephemeralContainerStatuses"`
	} `json:"status"`
}

type podTemplate struct {
	Metadata objectMeta `json:"metadata"`
	Spec     podSpec    `json:"spec"`
}

// workload is a Deployment, DaemonSet or StatefulSet: their specs share
// what is read.
type workload struct {
	Metadata objectMeta `json:"metadata"`
	Spec     struct {
		Replicas *int32 `json:"replicas"`
		Selector *struct {
			MatchLabels map[string]string `json:"matchLabels"`
		} `json:"selector"`
		Template       podTemplate `json:"template"`
		ServiceName    string      `json:"serviceName"`
		Strategy       *strategy   `json:"strategy"`
		UpdateStrategy *strategy   `json:"updateStrategy"`
	} `json:"spec"`
}

type strategy struct {
	Type string `json:"type"`
}

type service struct {
	Metadata objectMeta `json:"metadata"`
	Spec     struct {
		Type        string   `json:"type"`
		ClusterIP   string   `json:"clusterIP"`
		ClusterIPs  []string `json:"clusterIPs"`
		ExternalIPs []string `json:"externalIPs"`
		Ports       []struct {
			Name       string          `json:"name"`
			Protocol   string          `json:"protocol"`
			Port       int32           `json:"port"`
			TargetPort json.RawMessage `json:"targetPort"`
			NodePort   int32           `json:"nodePort"`
		} `json:"ports"`
		Selector                 map[string]string `json:"selector"`
		ExternalName             string            `json:"externalName"`
		ExternalTrafficPolicy    string            `json:"externalTrafficPolicy"`
		LoadBalancerSourceRanges []string          `json:"loadBalancerSourceRanges"`
	} `json:"spec"`
	Status struct {
		LoadBalancer struct {
			Ingress []struct {
				IP       string `json:"ip"`
				Hostname string `json:"hostname"`
			} `json:"ingress"`
		} `json:"loadBalancer"`
	} `json:"status"`
}

// strictJSON decodes one whole JSON document into v.
func strictJSON(b []byte, what string, v any) error {
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

// decodeListPage decodes a list answer: {"kind": "PodList", "metadata":
// {"continue": ...}, "items": [...]}.
func decodeListPage(b []byte) (*listPage, error) {
	var p listPage
	if err := strictJSON(b, "list", &p); err != nil {
		return nil, err
	}
	if len(p.Kind) < 5 || p.Kind[len(p.Kind)-4:] != "List" {
		return nil, fmt.Errorf("%w: list answer of kind %.60q", ErrMalformed, p.Kind)
	}
	return &p, nil
}

// decodeItem decodes one object of a list and checks it has a name (and
// a namespace when namespaced).
func decodeItem(raw json.RawMessage, resource string, namespaced bool, v any, meta func() *objectMeta) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%w: %s item: %w", ErrMalformed, resource, err)
	}
	m := meta()
	if !validName(m.Name) || namespaced != (m.Namespace != "") || namespaced && !validName(m.Namespace) {
		return fmt.Errorf("%w: %s item named %.80q in namespace %.80q", ErrMalformed, resource, m.Name, m.Namespace)
	}
	return nil
}

// validName reports whether s can be an object's name: DNS-subdomain
// characters, at most 253 bytes.
func validName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == ':' || 'A' <= c && c <= 'Z' || c == '_') {
			return false
		}
	}
	return true
}
