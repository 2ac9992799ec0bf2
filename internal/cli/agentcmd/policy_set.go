package agentcmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/vigilsec/vigil/internal/cli/clikit"
)

func (a *app) policySetCmd() *cobra.Command {
	var (
		file     string
		selector string
		priority int
	)
	cmd := &cobra.Command{
		Use:   "set NAME --file FILE",
		Short: "Create or replace an agent policy from a JSON or YAML file",
		Long: `Create or replace an agent policy. FILE ("-" for stdin) holds the agent
policy document (JSON or YAML: collectors, sensors, budget, heartbeat
interval, spool size, event rate), or a whole policy with "selector",
"priority" and "spec" as 'policy show -o json' prints it. --selector and
--priority override the file; for an existing policy, what neither gives
stays as it is. A policy without a selector applies to every agent.`,
		Example: `  vigil agents policy set prod --file prod.json --selector env=prod --priority 10
  vigil agents policy show prod -o json > prod.json && vigil agents policy set prod --file prod.json`,
		Args: clikit.ExactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if file == "" {
				return clikit.UsageErr(cmd, "--file is required")
			}
			data, err := a.readFile(file)
			if err != nil {
				return err
			}
			in, err := parsePolicyFile(data)
			if err != nil {
				return fmt.Errorf("policy %s: %w", file, err)
			}
			if cmd.Flags().Changed("selector") {
				if in.Selector, err = clikit.ParseLabelList(selector); err != nil {
					return clikit.UsageErr(cmd, "--selector: %v", err)
				}
			}
			if cmd.Flags().Changed("priority") {
				in.Priority = &priority
			}
			c, err := a.API()
			if err != nil {
				return err
			}
			stored, err := a.putPolicy(cmd, c, args[0], in)
			if err != nil {
				return err
			}
			return a.Done(stored, "agent policy %s saved (revision %d)", stored.Name, stored.Revision)
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "policy file, JSON or YAML (- for stdin)")
	cmd.Flags().StringVar(&selector, "selector", "", "agents whose labels match all of k=v,k2=v2 (empty: every agent)")
	cmd.Flags().IntVar(&priority, "priority", 0, "the highest priority among matching policies wins")
	return cmd
}

// toJSON returns a JSON document as is (compacted) and converts YAML.
func toJSON(data []byte) ([]byte, error) {
	if json.Valid(data) {
		var b bytes.Buffer
		if err := json.Compact(&b, data); err != nil {
			return nil, fmt.Errorf("compact JSON: %w", err)
		}
		return b.Bytes(), nil
	}
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("neither JSON nor YAML: %w", err)
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("YAML cannot be turned into JSON (keys must be strings): %w", err)
	}
	return out, nil
}

// maxPolicyFile bounds a policy file (the center takes 1 MiB bodies).
const maxPolicyFile = 1 << 20

// readFile reads path ("-" for stdin) up to maxPolicyFile bytes.
func (a *app) readFile(path string) ([]byte, error) {
	var r io.Reader = a.Env.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("read policy: %w", err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxPolicyFile+1))
	if err != nil {
		return nil, fmt.Errorf("read policy %s: %w", path, err)
	}
	if len(data) > maxPolicyFile {
		return nil, fmt.Errorf("policy %s: larger than %d bytes", path, maxPolicyFile)
	}
	return data, nil
}

// policyInput is what a policy file gives: a spec alone, or a whole
// policy ({"selector", "priority", "spec"}, as `policy show -o json` prints).
type policyInput struct {
	Spec     json.RawMessage
	Selector map[string]string
	Priority *int
}

// parsePolicyFile reads JSON or YAML into a policyInput.
func parsePolicyFile(data []byte) (policyInput, error) {
	doc, err := toJSON(data)
	if err != nil {
		return policyInput{}, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(doc, &top); err != nil || top == nil {
		return policyInput{}, fmt.Errorf("want a JSON or YAML object, the agent policy document")
	}
	spec, whole := top["spec"]
	if !whole {
		return policyInput{Spec: doc}, nil
	}
	var in policyInput
	var p struct {
		Selector map[string]string `json:"selector"`
		Priority *int              `json:"priority"`
	}
	if err := json.Unmarshal(doc, &p); err != nil {
		return in, fmt.Errorf("selector or priority: %w", err)
	}
	if s := bytes.TrimSpace(spec); len(s) == 0 || s[0] != '{' {
		return in, fmt.Errorf("spec: want an object, the agent policy document")
	}
	return policyInput{Spec: spec, Selector: p.Selector, Priority: p.Priority}, nil
}
