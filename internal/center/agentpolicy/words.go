package agentpolicy

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/store"
)

// WordCollectors are the collectors that check passwords against a
// dictionary: the words of the operators' word lists are added to their
// settings ("words"), after the built-in dictionary the agent has.
var WordCollectors = []string{"risk/accounts", "risk/services"}

// AddWords adds words to the "words" setting of the word collectors of
// p, after the words the policy sets itself (duplicates dropped), and
// stamps p again. The words travel in the policy, so the word lists are
// bounded where they are uploaded; the settings size limit of policies
// written by operators does not apply to them.
func AddWords(p *busv1.AgentPolicy, words []string) error {
	if len(words) == 0 {
		return nil
	}
	stored := p.GetRevision() >> 32
	if p.Collectors == nil {
		p.Collectors = map[string]*busv1.PluginPolicy{}
	}
	for _, name := range WordCollectors {
		pp := p.Collectors[name]
		if pp == nil {
			pp = &busv1.PluginPolicy{Enabled: true}
			p.Collectors[name] = pp
		}
		settings := map[string]any{}
		if pp.SettingsJson != "" {
			if err := json.Unmarshal([]byte(pp.SettingsJson), &settings); err != nil {
				return fmt.Errorf("collector %s: settings: %w", name, err)
			}
		}
		var own []string
		if raw, ok := settings["words"].([]any); ok {
			for _, w := range raw {
				if s, ok := w.(string); ok {
					own = append(own, s)
				}
			}
		}
		merged := slices.Clone(own)
		seen := map[string]bool{}
		for _, w := range own {
			seen[w] = true
		}
		for _, w := range words {
			if !seen[w] {
				seen[w] = true
				merged = append(merged, w)
			}
		}
		settings["words"] = merged
		b, err := json.Marshal(settings)
		if err != nil {
			return fmt.Errorf("collector %s: settings: %w", name, err)
		}
		pp.SettingsJson = string(b)
	}
	Stamp(p, stored)
	return nil
}

// uploadedWords returns the words of every stored word list, in list
// order, without duplicates.
func uploadedWords(ctx context.Context, st store.Store) ([]string, error) {
	lists, err := st.Vulns().Wordlists(ctx)
	if err != nil {
		return nil, fmt.Errorf("word lists: %w", err)
	}
	seen := map[string]bool{}
	var words []string
	for _, l := range lists {
		for _, w := range l.Words {
			if !seen[w] {
				seen[w] = true
				words = append(words, w)
			}
		}
	}
	return words, nil
}
