#!/usr/bin/env bash
# Runs every fuzz target in the module briefly (FUZZTIME, default 3s each),
# so that CI exercises the parsers with generated input on every change.
# New inputs are minimized for at most 2 s, so that a smoke run stays short.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-3s}
status=0
while IFS= read -r file; do
	pkg="./$(dirname "$file")"
	for target in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)' "$file" | awk '{print $2}'); do
		echo "fuzz $pkg $target ($fuzztime)"
		for attempt in 1 2; do
			if go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" -fuzzminimizetime=2s "$pkg" >/tmp/fuzz.$$.log 2>&1; then
				break
			fi
			# The fuzzing engine sometimes reports its own time limit as a
			# failure ("context deadline exceeded") without a failing input;
			# run again once then. A real finding always writes its input.
			if [ "$attempt" = 1 ] && grep -q 'context deadline exceeded' /tmp/fuzz.$$.log &&
				! grep -q 'Failing input written' /tmp/fuzz.$$.log; then
				echo "  fuzzing engine timed out without a finding; running again"
				continue
			fi
			cat /tmp/fuzz.$$.log
			status=1
			break
		done
	done
done < <(git ls-files '*_test.go' 2>/dev/null | xargs grep -l '^func Fuzz' || true)
rm -f /tmp/fuzz.$$.log
exit $status
