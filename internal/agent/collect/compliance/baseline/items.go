package baseline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/compliance/eval"
	"github.com/vigilsec/vigil/internal/event"
)

// Bounds of an item.
const (
	// maxKey bounds a key, well under event.MaxAssetKey.
	maxKey = 512
	// maxEvidence bounds the JSON of one item's evidence, well under
	// event.MaxAssetFields.
	maxEvidence = 32 << 10
	// maxReason bounds a reason.
	maxReason = 2048
)

// The statuses of a policy's item.
const (
	StatusEvaluated     = "evaluated"
	StatusNotApplicable = "not_applicable"
	StatusError         = "error"
	StatusRefused       = "refused"
)

// field is the prefix of every field.
const field = "vigil.compliance."

// policyItems returns the items of one evaluated policy: the policy's
// and, when it applies, one per check.
func policyItems(a *assigned, rep *eval.Report, stopped bool, timeout time.Duration) []event.Asset {
	e := event.Event{}
	e.Set(field+"policy", a.id)
	e.Set(field+"policy_version", a.policy.Meta.Version)
	e.Set(field+"digest", a.digest)
	// The evaluation's duration is not a field: it differs from run to run
	// and would make an unchanged result a change (it is counted in the
	// collector's evaluation_ms).
	if len(rep.Requirements) > 0 {
		setEvidence(e, nil, rep.Requirements)
	}
	item := event.Asset{Kind: event.AssetCompliance, Key: a.id, Name: a.id, Version: clip(a.policy.Meta.Version, event.MaxAssetName), Fields: e}
	if !rep.Applicable {
		status, reason := StatusNotApplicable, ""
		for _, r := range rep.Results {
			if r.Status == eval.Error {
				status = StatusError
			}
			reason = r.Reason
		}
		e.Set(field+"status", status)
		setReason(e, reason)
		return []event.Asset{item}
	}
	e.Set(field+"status", StatusEvaluated)
	if stopped {
		setReason(e, fmt.Sprintf("the evaluation was stopped after the timeout (%s): the checks not evaluated by then are errors", timeout))
	}
	c := rep.Counts
	e.Set(field+"counts", map[string]any{"pass": c.Pass, "fail": c.Fail, "error": c.Error,
		"not_applicable": c.NotApplicable, "excepted": c.Excepted, "total": c.Total})
	if rep.Score != nil {
		e.Set(field+"score", *rep.Score)
	}
	out := make([]event.Asset, 0, 1+len(rep.Results))
	out = append(out, item)
	for i := range rep.Results {
		out = append(out, checkItem(a, &rep.Results[i]))
	}
	return out
}

// checkItem returns the item of one check's result.
func checkItem(a *assigned, res *eval.CheckResult) event.Asset {
	e := event.Event{}
	e.Set(field+"policy", a.id)
	e.Set(field+"policy_version", a.policy.Meta.Version)
	e.Set(field+"digest", a.digest)
	e.Set(field+"check", res.ID)
	e.Set(field+"status", string(res.Status))
	if res.Severity != "" {
		e.Set(field+"severity", string(res.Severity))
	}
	setReason(e, res.Reason)
	if len(res.AppliesIf) > 0 || len(res.Rules) > 0 {
		setEvidence(e, res.AppliesIf, res.Rules)
	}
	return event.Asset{Kind: event.AssetCompliance, Key: checkKey(a.id, res.ID), Name: clip(res.ID, event.MaxAssetName),
		Version: clip(a.policy.Meta.Version, event.MaxAssetName), Fields: e}
}

// blockedItem returns the item of a policy whose evaluation did not
// end: an error, without check items.
func blockedItem(a *assigned, timeout time.Duration) event.Asset {
	e := event.Event{}
	e.Set(field+"policy", a.id)
	e.Set(field+"policy_version", a.policy.Meta.Version)
	e.Set(field+"digest", a.digest)
	e.Set(field+"status", StatusError)
	setReason(e, fmt.Sprintf("the evaluation did not stop within %s of the timeout (%s): a rule is blocked reading the host (a named pipe or device?)", stopGrace, timeout))
	return event.Asset{Kind: event.AssetCompliance, Key: a.id, Name: a.id, Version: clip(a.policy.Meta.Version, event.MaxAssetName), Fields: e}
}

// refusedItem returns the item of a policy the settings hold but the
// agent refused.
func refusedItem(r refusal) event.Asset {
	e := event.Event{}
	e.Set(field+"policy", r.id)
	if r.version != "" {
		e.Set(field+"policy_version", r.version)
	}
	e.Set(field+"digest", clip(r.digest, 128))
	e.Set(field+"status", StatusRefused)
	setReason(e, r.reason)
	return event.Asset{Kind: event.AssetCompliance, Key: r.id, Name: r.id, Version: clip(r.version, event.MaxAssetName), Fields: e}
}

func setReason(e event.Event, reason string) {
	if reason != "" {
		e.Set(field+"reason", clip(redact(reason), maxReason))
	}
}

// setEvidence sets the rule results (those of applies_if first, marked
// so) as the item's evidence, bounded at maxEvidence bytes of JSON:
// past the bound, evidence lines and then whole results are left out,
// and evidence_cut says how many.
func setEvidence(e event.Event, appliesIf, rules []eval.RuleResult) {
	var out []any
	budget, linesCut, resultsCut := maxEvidence, 0, 0
	all := len(appliesIf) + len(rules)
	for i := range all {
		var rr eval.RuleResult
		if i < len(appliesIf) {
			rr = appliesIf[i]
		} else {
			rr = rules[i-len(appliesIf)]
		}
		if resultsCut > 0 {
			resultsCut++
			continue
		}
		entry := map[string]any{"index": rr.Index, "type": rr.Type, "result": rr.Result}
		if i < len(appliesIf) {
			entry["applies_if"] = true
		}
		if rr.Not {
			entry["not"] = true
		}
		if rr.Error != "" {
			entry["error"] = redact(rr.Error)
		}
		keep := len(rr.Evidence)
		size := 0
		for {
			setLines(entry, rr.Evidence[:keep], len(rr.Evidence)-keep)
			size = jsonSize(entry) + 1
			if size <= budget || keep == 0 {
				break
			}
			keep--
		}
		if size > budget && len(rr.Evidence) > 0 {
			delete(entry, "evidence")
			size = jsonSize(entry) + 1
		}
		if size > budget {
			resultsCut = 1
			continue
		}
		if _, ok := entry["evidence"]; ok {
			linesCut += len(rr.Evidence) - keep
		} else {
			linesCut += len(rr.Evidence)
		}
		budget -= size
		out = append(out, entry)
	}
	e.Set(field+"evidence", out)
	if linesCut > 0 || resultsCut > 0 {
		e.Set(field+"evidence_cut", fmt.Sprintf("the evidence was cut at %d bytes: %d lines and %d rule results left out", maxEvidence, linesCut, resultsCut))
	}
}

// setLines sets an entry's evidence lines, followed by how many were
// cut.
func setLines(entry map[string]any, lines []string, cut int) {
	if len(lines) == 0 && cut == 0 {
		delete(entry, "evidence")
		return
	}
	shown := make([]any, 0, len(lines)+1)
	for _, l := range lines {
		shown = append(shown, redact(l))
	}
	if cut > 0 {
		unit := "lines"
		if cut == 1 {
			unit = "line"
		}
		shown = append(shown, fmt.Sprintf("... %d more %s cut", cut, unit))
	}
	entry["evidence"] = shown
}

// jsonSize is the length of v's JSON.
func jsonSize(v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		return maxEvidence + 1
	}
	return len(b)
}

// checkKey returns "POLICY/CHECK"; a check id too long for a key is cut
// and followed by 16 hex digits of its SHA-256, so that two long ids
// still make two keys.
func checkKey(policyID, checkID string) string {
	k := policyID + "/" + checkID
	if len(k) <= maxKey {
		return k
	}
	sum := sha256.Sum256([]byte(checkID))
	suffix := "...#" + hex.EncodeToString(sum[:8])
	return policyID + "/" + clip(checkID, maxKey-len(policyID)-1-len(suffix)) + suffix
}

// The forms of password hashes redact removes.
var (
	// cryptHash is a modular crypt hash: $id$..., $md5,rounds=N$...,
	// $3$$... (NT).
	cryptHash = regexp.MustCompile(`\$[0-9a-z]{1,8}(?:,[^$\s:]*)?\$[^\s:,]*`)
	// shadowLine is a line of a shadow file whatever the file's name:
	// the name, a hash field of 13 characters or more (descrypt,
	// bsdicrypt ...), then the six number fields.
	shadowLine = regexp.MustCompile(`([A-Za-z0-9_][A-Za-z0-9_.-]*\$?):[^:\s]{13,}:(\d*:\d*:\d*:\d*:\d*:\d*:)`)
)

// redact removes password hashes from a text the evaluator wrote. The
// evaluator already hides the hash field of the files it knows as
// shadow-like and the crypt hashes it recognises; this catches the
// forms it may not (a copy of a shadow file by another name, NT and
// SunMD5 hashes), so that no hash leaves the host.
func redact(s string) string {
	if strings.Contains(s, "$") {
		s = cryptHash.ReplaceAllString(s, "[hash removed]")
	}
	if strings.Count(s, ":") >= 7 {
		s = shadowLine.ReplaceAllString(s, "$1:[hash removed]:$2")
	}
	return s
}

// clip cuts s to at most n bytes on a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strings.ToValidUTF8(s[:n], "")
}
