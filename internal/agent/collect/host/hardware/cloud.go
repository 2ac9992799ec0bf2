package hardware

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Cloud is where the host runs when it is a cloud instance, as far as
// files on the host say: DMI strings the cloud's hypervisor sets, and
// what cloud-init cached from the metadata service at boot. No metadata
// endpoint is ever asked.
type Cloud struct {
	// Provider is "aws", "azure", "gcp", "alibaba", "tencent", "huawei",
	// "oracle", "openstack", "digitalocean", "hetzner" ... ("" when not
	// a cloud instance, or not recognised).
	Provider     string
	InstanceID   string
	InstanceType string
	Region       string
	Zone         string
	AccountID    string
	// Sources lists where the values came from: "dmi", "cloud-init".
	Sources []string
}

// Azure's hypervisor sets this chassis asset tag on every VM.
const azureAssetTag = "7783-7084-3265-9085"

// cloudFromDMI recognises a cloud by its DMI strings, with what the DMI
// tells of the instance: EC2 (Nitro) puts the instance id in the board
// asset tag and the instance type in the product name.
func cloudFromDMI(d DMI) Cloud {
	var c Cloud
	vendor, product, tag := d["sys_vendor"], d["product_name"], d["chassis_asset_tag"]
	switch {
	case vendor == "Amazon EC2":
		c.Provider = "aws"
		if id := d["board_asset_tag"]; strings.HasPrefix(id, "i-") {
			c.InstanceID = id
		}
		if strings.Contains(product, ".") {
			c.InstanceType = product
		}
	case strings.HasPrefix(strings.ToLower(d["product_uuid"]), "ec2") && strings.Contains(strings.ToLower(d["bios_version"]), "amazon"):
		c.Provider = "aws" // Xen-based instances
	case tag == azureAssetTag:
		c.Provider = "azure"
	case product == "Google Compute Engine" || vendor == "Google":
		c.Provider = "gcp"
	case vendor == "Alibaba Cloud" || strings.HasPrefix(product, "Alibaba Cloud"):
		c.Provider = "alibaba"
	case vendor == "Tencent Cloud":
		c.Provider = "tencent"
	case strings.HasPrefix(vendor, "Huawei Cloud") || tag == "HUAWEICLOUD":
		c.Provider = "huawei"
	case tag == "OracleCloud.com":
		c.Provider = "oracle"
	case vendor == "DigitalOcean":
		c.Provider = "digitalocean"
	case vendor == "Hetzner":
		c.Provider = "hetzner"
	case vendor == "Scaleway":
		c.Provider = "scaleway"
	case vendor == "Vultr":
		c.Provider = "vultr"
	case vendor == "Linode" || vendor == "Akamai":
		c.Provider = "akamai"
	case vendor == "UpCloud":
		c.Provider = "upcloud"
	case vendor == "Exoscale":
		c.Provider = "exoscale"
	case strings.HasPrefix(product, "OpenStack") || vendor == "OpenStack Foundation":
		c.Provider = "openstack"
	}
	if c.Provider != "" {
		c.Sources = []string{"dmi"}
	}
	return c
}

// cloudNames maps cloud-init's v1.cloud_name to a provider; names not
// listed are kept as they are, except the ones that are no cloud.
var cloudNames = map[string]string{
	"gce": "gcp", "aliyun": "alibaba", "ec2": "aws", "linode": "akamai", "ibmcloud": "ibm",
}

// notClouds are cloud-init data sources that are no cloud provider.
var notClouds = map[string]bool{
	"": true, "none": true, "nocloud": true, "nocloud-net": true, "lxd": true, "configdrive": true,
	"ovf": true, "vmware": true, "maas": true, "wsl": true, "unknown": true, "rbx": true,
}

// maxInstanceData bounds /run/cloud-init/instance-data.json.
const maxInstanceData = 8 << 20

// ParseInstanceData reads cloud-init's instance-data.json: the v1
// standard keys (cloud_name, instance_id, region, availability_zone)
// and, where the data source keeps them, the instance type and account
// (EC2's identity document and meta-data, Alibaba's and Azure's
// meta-data). Values are kept only when they are short printable text.
func ParseInstanceData(data []byte) (Cloud, error) {
	if len(data) > maxInstanceData {
		return Cloud{}, fmt.Errorf("instance-data: %d bytes, more than %d", len(data), maxInstanceData)
	}
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return Cloud{}, fmt.Errorf("instance-data: %w", err)
	}
	str := func(paths ...string) string {
		for _, p := range paths {
			if v := textAt(doc, p); v != "" {
				return v
			}
		}
		return ""
	}
	var c Cloud
	name := strings.ToLower(str("v1/cloud_name", "cloud_name"))
	if notClouds[name] {
		return c, nil
	}
	c.Provider = name
	if p, ok := cloudNames[name]; ok {
		c.Provider = p
	}
	c.InstanceID = str("v1/instance_id", "instance_id")
	c.Region = str("v1/region", "region")
	c.Zone = str("v1/availability_zone", "availability_zone")
	c.InstanceType = str(
		"ds/dynamic/instance-identity/document/instanceType",
		"ds/dynamic/instance_identity/document/instanceType",
		"ds/meta-data/instance-type", "ds/meta_data/instance-type", "ds/meta_data/instance_type",
		"ds/meta_data/instance/instance-type", "ds/meta_data/instance/instance_type",
		"ds/meta_data/imds/compute/vmSize",
	)
	c.AccountID = str(
		"ds/dynamic/instance-identity/document/accountId",
		"ds/dynamic/instance_identity/document/accountId",
		"ds/meta_data/owner-account-id", "ds/meta_data/owner_account_id",
	)
	c.Sources = []string{"cloud-init"}
	return c, nil
}

// textAt returns the string at a '/'-separated path of object keys, ""
// when it is missing, not a string, "REDACTED", longer than 256 bytes or
// not printable.
func textAt(doc map[string]any, path string) string {
	var cur any = doc
	for key := range strings.SplitSeq(path, "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		if cur, ok = m[key]; !ok {
			return ""
		}
	}
	s, ok := cur.(string)
	if !ok || s == "REDACTED" || len(s) > 256 || !utf8.ValidString(s) {
		return ""
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return ""
		}
	}
	return strings.TrimSpace(s)
}

// merge completes c (from cloud-init) with what the DMI says, the
// cloud-init values first.
func (c Cloud) merge(d Cloud) Cloud {
	switch {
	case d.Provider == "":
		return c
	case c.Provider == "":
		return d
	case c.Provider != d.Provider:
		// The two disagree: cloud-init's cache may have come with an
		// image from another cloud; the DMI is this machine's.
		return d
	}
	if c.InstanceID == "" {
		c.InstanceID = d.InstanceID
	}
	if c.InstanceType == "" {
		c.InstanceType = d.InstanceType
	}
	c.Sources = slices.Concat(d.Sources, c.Sources)
	return c
}
