package apiclient

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/center/api/apitypes"
	"github.com/vigilsec/vigil/internal/store"
)

// maxRuleSource bounds the YAML text of a rule file (the center holds
// files of at most 16 MiB).
const maxRuleSource = 16 << 20

// RuleFilter selects rules; empty fields match every rule.
type RuleFilter struct {
	// Q is a substring of the id, title, description or a tag.
	Q string
	// Kind is detection or correlation.
	Kind string
	// Level is informational, low, medium, high or critical.
	Level string
	// Status is stable, test, experimental, deprecated or unsupported.
	Status string
	// Source is builtin or imported.
	Source string
	// Technique is an ATT&CK id; a technique also matches its
	// sub-techniques.
	Technique string
	// Disabled, when set, selects the rules switched off (true) or on.
	Disabled *bool
	store.Page
}

// Rules lists the loaded rules matching f.
func (c *Client) Rules(ctx context.Context, f RuleFilter) (Page[apitypes.Rule], error) {
	q := url.Values{}
	setIf(q, "q", f.Q)
	setIf(q, "kind", f.Kind)
	setIf(q, "level", f.Level)
	setIf(q, "status", f.Status)
	setIf(q, "source", f.Source)
	setIf(q, "technique", f.Technique)
	if f.Disabled != nil {
		q.Set("disabled", strconv.FormatBool(*f.Disabled))
	}
	var page Page[apitypes.Rule]
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("rules"), query: pageQuery(q, f.Page)}, &page)
	return page, err
}

// Rule returns one loaded rule.
func (c *Client) Rule(ctx context.Context, id string) (apitypes.Rule, error) {
	var r apitypes.Rule
	if err := need("rule id", id); err != nil {
		return r, err
	}
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("rules", id)}, &r)
	return r, err
}

// RuleSource returns the YAML text of the file rule id is in.
func (c *Client) RuleSource(ctx context.Context, id string) ([]byte, error) {
	if err := need("rule id", id); err != nil {
		return nil, err
	}
	var text []byte
	r := request{method: http.MethodGet, path: pathOf("rules", id, "source")}
	err := c.roundTrip(ctx, r, func(resp *http.Response) error {
		if resp.StatusCode >= 400 {
			return decodeError(resp)
		}
		var err error
		text, err = readBounded(resp.Body, maxRuleSource, "source of rule "+id)
		return err
	})
	return text, err
}

// RuleProblems lists the rules and rule files the center could not load.
func (c *Client) RuleProblems(ctx context.Context, p store.Page) (Page[apitypes.Problem], error) {
	var page Page[apitypes.Problem]
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("rules", "problems"), query: pageQuery(nil, p)}, &page)
	return page, err
}

// ImportError is the center's refusal of an import whose files have
// problems: the *APIError (422) and the problems of the files.
type ImportError struct {
	*APIError
	Problems []apitypes.Problem
}

// Unwrap returns the *APIError.
func (e *ImportError) Unwrap() error { return e.APIError }

// ImportRules sends rule files to the center. Without force an import
// whose files have a problem stores nothing and fails with an
// *ImportError; with force the files that load are stored and the
// result lists the others with their problems.
func (c *Client) ImportRules(ctx context.Context, files []apitypes.ImportFile, force bool) (apitypes.ImportResult, error) {
	var res apitypes.ImportResult
	r := request{method: http.MethodPost, path: pathOf("rules", "import"), body: apitypes.RuleImport{Files: files, Force: force}}
	err := c.roundTrip(ctx, r, func(resp *http.Response) error {
		if resp.StatusCode == http.StatusUnprocessableEntity {
			data, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
			ae, _ := errorOf(resp, data).(*APIError)
			var refusal apitypes.ImportRefusal
			if err := json.Unmarshal(data, &refusal); err != nil {
				return ae
			}
			return &ImportError{APIError: ae, Problems: refusal.Problems}
		}
		if resp.StatusCode >= 400 {
			return decodeError(resp)
		}
		return decodeAnswer(resp.Body, &res, r)
	})
	return res, err
}

// RuleFiles lists the imported rule files, without their content.
func (c *Client) RuleFiles(ctx context.Context, p store.Page) (Page[apitypes.RuleFile], error) {
	var page Page[apitypes.RuleFile]
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("rule-files"), query: pageQuery(nil, p)}, &page)
	return page, err
}

// DeleteRuleFile deletes an imported rule file by name (a relative path
// such as linux/x.yml).
func (c *Client) DeleteRuleFile(ctx context.Context, name string) error {
	if err := need("rule file name", name); err != nil {
		return err
	}
	return c.do(ctx, request{method: http.MethodDelete, path: pathOf(append([]string{"rule-files"}, strings.Split(name, "/")...)...)}, nil)
}

// SetRuleSetting switches rule id off or on and chooses the severity of
// its alerts (empty: the one its level gives), and returns the rule.
func (c *Client) SetRuleSetting(ctx context.Context, id string, s apitypes.RuleSetting) (apitypes.Rule, error) {
	var r apitypes.Rule
	if err := need("rule id", id); err != nil {
		return r, err
	}
	err := c.do(ctx, request{method: http.MethodPut, path: pathOf("rules", id, "setting"), body: s}, &r)
	return r, err
}

// ResetRule removes the setting of rule id: the rule is back to its
// defaults.
func (c *Client) ResetRule(ctx context.Context, id string) error {
	if err := need("rule id", id); err != nil {
		return err
	}
	return c.do(ctx, request{method: http.MethodDelete, path: pathOf("rules", id, "setting")}, nil)
}

// AttackCoverage returns the ATT&CK matrix with, for each technique, the
// enabled rules that cover it and the alerts of it raised since since
// (zero: the center's default of 30 days ago).
func (c *Client) AttackCoverage(ctx context.Context, since time.Time) (apitypes.Coverage, error) {
	q := url.Values{}
	setTime(q, "since", since)
	var cov apitypes.Coverage
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("attack", "coverage"), query: q}, &cov)
	return cov, err
}
