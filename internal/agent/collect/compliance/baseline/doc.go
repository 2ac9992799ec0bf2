// Package baseline is the compliance/baseline collector: the results of
// the compliance policies the center assigns the host (asset kind
// "compliance"), evaluated read-only by package eval as
// docs/policies.md describes.
//
// # Policies
//
// The center sends each assigned policy in its compact form
// (policy.Policy.Compact: the rules without their texts) with its
// RulesDigest. The agent reads the compact form as strictly as a policy
// file (policy.ParseCompact) and computes its digest again: a policy
// that does not read, whose id is not the one assigned or whose digest
// differs is refused (the collector's status names it, and it has an
// item of status "refused"); the other policies run all the same.
//
// Each run evaluates every policy on the host's root. Commands run only
// when the root is "/", through eval.ExecRunner (no shell, a clean
// environment, command_timeout each); in a tree standing for a host a
// command rule is an error. The run, every policy together, is bounded
// by the timeout: the checks not evaluated by then are errors. An
// evaluation that does not stop soon after (a rule blocked in a read,
// such as a named pipe opened as a file) is left behind: its policy's
// item is an error and it has no check items.
//
// # Items
//
// One item per policy: Key and Name are the policy's id, Version its
// version. When the policy applies to the host (its requirements hold),
// one item per check too: Key "POLICY/CHECK" (a check id that would make
// the key longer than 512 bytes is cut and followed by "...#" and 16 hex
// digits of its SHA-256), Name the check's id, Version the policy's
// version. A policy that does not apply has its item only, with the
// reason, so the center knows the host evaluated it.
//
// Fields of every item:
//
//	vigil.compliance.policy          the policy's id
//	vigil.compliance.policy_version  the policy's version (left out of a
//	                                 refused policy's item when it did not read)
//	vigil.compliance.digest          the policy's RulesDigest, as assigned
//	vigil.compliance.status          a check's: pass, fail, error or
//	                                 not_applicable; a policy's: evaluated,
//	                                 not_applicable (its requirements do
//	                                 not hold), error (they could not be
//	                                 evaluated, or the evaluation was
//	                                 blocked) or refused
//	vigil.compliance.reason          why a check is error or
//	                                 not_applicable, why a policy is not
//	                                 evaluated or refused, or that the run
//	                                 was stopped by the timeout (at most
//	                                 2 KiB)
//	vigil.compliance.evidence        the rule results that decided: a list
//	                                 of {index, type, result (holds, fails,
//	                                 error), not, error, evidence (lines),
//	                                 applies_if (true for a rule of the
//	                                 check's applies_if)}; a policy's item
//	                                 has those of its requirements
//	vigil.compliance.evidence_cut    set when the evidence was longer than
//	                                 32 KiB of JSON: how many lines and
//	                                 rule results were left out (a cut
//	                                 result's lines end with "... N more
//	                                 lines cut")
//
// Fields of a check's item only:
//
//	vigil.compliance.check           the check's id
//	vigil.compliance.severity        low, medium, high or critical
//
// Fields of an evaluated policy's item only:
//
//	vigil.compliance.counts          {pass, fail, error, not_applicable,
//	                                 excepted, total}: checks by status
//	                                 (excepted is always 0: exceptions are
//	                                 the center's)
//	vigil.compliance.score           passed / (passed + failed) in percent,
//	                                 left out when nothing passed or failed
//
// Evidence never holds a password hash: the evaluator replaces the hash
// field of shadow-like files by the password's state and removes the
// crypt hashes it knows from every evidence line; the collector removes
// again, from evidence, errors and reasons, every modular crypt hash
// ($id$..., $md5,rounds=N$..., NT's $3$$...) and the hash field of any
// line shaped like a shadow file's (descrypt and bsdicrypt hashes in a
// copy of /etc/shadow by another name).
//
// # Settings
//
// A JSON object written by the center, at most 16 MiB:
//
//	policies         list of {id, digest, policy}: the policy's id, its
//	                 RulesDigest and its compact form (a JSON object); at
//	                 most 32, each id once
//	timeout          duration string, default "2m" (10s to 4m): one run,
//	                 every policy together
//	command_timeout  duration string, default "10s" (1s to 1m, at most
//	                 timeout): each command a rule runs
//
// # Counters
//
// policies_evaluated, checks_evaluated, check_errors (checks whose status
// was error), evaluation_ms and evaluations_blocked (evaluations left
// behind) are totals since the agent started; policies_refused is the
// number of policies of the current settings that were refused.
package baseline
