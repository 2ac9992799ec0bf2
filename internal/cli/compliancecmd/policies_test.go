package compliancecmd_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/agent/collect/compliance/baseline"
	"github.com/vigilsec/vigil/internal/cli/clikit/clikittest"
	cct "github.com/vigilsec/vigil/internal/cli/compliancecmd/compliancecmdtest"
	"github.com/vigilsec/vigil/internal/store"
)

// TestPolicyLifecycle uploads a policy, replaces it, assigns it to a host
// that had none, evaluates it there, and removes it again.
func TestPolicyLifecycle(t *testing.T) {
	e, hosts := seeded(t)
	ctx := context.Background()
	dir := t.TempDir()
	v1 := strings.ReplaceAll(cct.LoggingPolicy, "acme_logging", "acme_dev")
	file := writeFile(t, dir, "acme_dev.yml", v1)
	if out := e.OK("compliance", "policies", "upload", file); out !=
		"policy acme_dev uploaded: version 1.0, 2 checks (vigil)\nIt is assigned to no host yet: vigil compliance assign acme_dev --selector k=v\n" {
		t.Errorf("upload = %q", out)
	}
	v2 := strings.Replace(v1, `version: "1.0"`, `version: "1.1"`, 1)
	r := e.Run(ctx, v2, "compliance", "policies", "upload", "-")
	if r.Code != 0 || r.Stdout != "policy acme_dev replaced: version 1.1, 2 checks (vigil)\nIt is assigned to no host yet: vigil compliance assign acme_dev --selector k=v\n" {
		t.Errorf("upload from stdin = %+v", r)
	}
	if p, err := e.Store.Compliance().GetPolicy(ctx, "acme_dev"); err != nil || p.Version != "1.1" || string(p.Content) != v2 {
		t.Errorf("stored policy %+v, %v", p, err)
	}

	if out := e.OK("compliance", "assign", "acme_dev", "--selector", "env=dev", "--interval", "6h"); out !=
		"policy acme_dev assigned to env=dev (1 host now), evaluated every 6h\n" {
		t.Errorf("assign = %q", out)
	}
	as, err := e.Store.Compliance().Assignments(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range as {
		if a.PolicyID == "acme_dev" {
			found = a.Selector["env"] == "dev" && len(a.Selector) == 1 && a.IntervalSeconds == 6*3600 && a.Author != ""
		}
	}
	if !found {
		t.Errorf("stored assignments %+v", as)
	}
	// The center republished dev-1's agent policy: the host evaluates it.
	hosts[cct.Dev].Connect()
	out := e.OK("compliance", "run", "--agent", cct.Dev)
	if !strings.Contains(out, "Asking 1 host to evaluate acme_dev") || !strings.Contains(out, "dev-1  9d0e1f  acme_dev  1.1      0.0%   0     1     1      0    0") {
		t.Errorf("run on dev-1:\n%s", out)
	}
	if out := e.OK("compliance", "policies"); !strings.Contains(out, "acme_dev        1.1      2       uploaded (vigil)  env=dev      6h") {
		t.Errorf("policies after assign:\n%s", out)
	}

	if out := e.OK("compliance", "assign", "acme_dev"); out != "policy acme_dev assigned to every host (4 hosts now), evaluated daily\n" {
		t.Errorf("assign to every host = %q", out)
	}
	if out := e.OK("compliance", "unassign", "acme_dev"); out != "policy acme_dev unassigned: no host evaluates it any more\n" {
		t.Errorf("unassign = %q", out)
	}
	pol, err := e.Policies.Effective(ctx, store.Agent{ID: cct.Dev, Labels: map[string]string{"env": "dev"}})
	if err != nil {
		t.Fatal(err)
	}
	if pp := pol.GetCollectors()[baseline.Name]; pp == nil || pp.GetEnabled() || strings.Contains(pp.GetSettingsJson(), "acme_dev") {
		t.Errorf("dev-1's collector after unassign: %v", pp)
	}
	if out := e.OK("compliance", "policies", "delete", "acme_dev", "-o", "json"); out != "{\n  \"deleted\": true,\n  \"id\": \"acme_dev\"\n}\n" {
		t.Errorf("delete = %q", out)
	}
	if _, err := e.Store.Compliance().GetPolicy(ctx, "acme_dev"); err == nil {
		t.Error("the policy is still stored")
	}
}

// TestUploadWazuhSCA uploads a Wazuh SCA file: the checks that cannot be
// translated are listed.
func TestUploadWazuhSCA(t *testing.T) {
	e, _ := seeded(t)
	data, err := os.ReadFile("../../compliance/policy/sca/testdata/cis_debian12_sample.yml")
	if err != nil {
		t.Fatal(err)
	}
	// The sample's id is a shipped policy's: upload it under its own.
	file := writeFile(t, t.TempDir(), "sca.yml", strings.Replace(string(data), `id: "cis_debian12"`, `id: "acme_wazuh"`, 1))
	out := e.OK("compliance", "policies", "upload", file, "--format", "wazuh-sca")
	clikittest.Golden(t, "upload_sca", out)
	if reqs := e.Requests(); !strings.HasPrefix(reqs[len(reqs)-1], "PUT /api/v1/compliance/policies/acme_wazuh?format=wazuh-sca") {
		t.Errorf("asked %s", reqs[len(reqs)-1])
	}
	show := e.OK("compliance", "policies", "show", "acme_wazuh")
	if !strings.Contains(show, "Source:       uploaded (wazuh-sca)") || !strings.Contains(show, "Left out of the Wazuh SCA file") {
		t.Errorf("show:\n%s", show)
	}
}

// TestExceptionLifecycle adds an exception, sees the failure excepted,
// and deletes it.
func TestExceptionLifecycle(t *testing.T) {
	e, _ := seeded(t)
	ctx := context.Background()
	r := e.RunAs(ctx, e.AnalystToken, "", "compliance", "exceptions", "add", "--policy", "acme_baseline", "--check", "acme_baseline.3",
		"--agent", cct.DB, "--reason", "database vendor's password rules", "--expires", "90d")
	if r.Code != 0 || e.Mask(r.Stdout) != "exception RANDOM-ID--------------------------- added: policy acme_baseline, check acme_baseline.3, agent b81d02; expires 2025-06-02T10:00:00Z\n" {
		t.Fatalf("add = %+v", r)
	}
	id := strings.Fields(r.Stdout)[1]
	out := e.OK("compliance", "results", "--agent", cct.DB, "--check", "acme_baseline.3", "--evidence")
	if !strings.Contains(out, "acme_baseline.3  excepted  medium") || !strings.Contains(out, "Excepted by "+id+": database vendor's password rules (expires: in 90d)") {
		t.Errorf("results with the exception:\n%s", out)
	}
	out = e.OK("compliance", "exceptions", "add", "--policy", "acme_logging", "--reason", "logs are shipped by the agent", "-o", "json")
	if !strings.Contains(out, `"policy_id": "acme_logging"`) || strings.Contains(out, "expires_at") || !strings.Contains(out, `"check_id": ""`) {
		t.Errorf("add -o json:\n%s", out)
	}
	if out := e.OK("compliance", "exceptions"); strings.Count(out, "\n") != 4 || !strings.Contains(out, "acme_logging   all              all     never") {
		t.Errorf("exceptions:\n%s", out)
	}
	if out := e.OK("compliance", "exceptions", "delete", id); out != "exception "+id+" deleted\n" {
		t.Errorf("delete = %q", out)
	}
	out = e.OK("compliance", "results", "--agent", cct.DB, "--check", "acme_baseline.3")
	if !strings.Contains(out, "acme_baseline.3  fail") {
		t.Errorf("results after the delete:\n%s", out)
	}
}
