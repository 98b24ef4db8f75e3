#!/usr/bin/env bash
# The real broker of tools/kafka/start answers an independent client: kcat produces three keyed
# messages with headers to a fresh topic and reads them back; keys, values and headers must come
# back exactly, in order. Usage: broker_test.sh BOOTSTRAP (e.g. 127.0.0.1:19092)
set -euo pipefail

bootstrap=${1:?usage: broker_test.sh BOOTSTRAP}
command -v kcat >/dev/null || { echo "kcat is missing: run tools/setup" >&2; exit 1; }
topic="dispatch-broker-test-$(date +%s)-$$"
echo "topic $topic on $bootstrap"

# Each line: key|value|type header|command-id header. Values are JSON with non-ASCII text.
expected=$(cat <<'EOF'
AZ20150108000001|{"type":"OrderCreated","customer":"王先生","position":1}|OrderCreated|cmd-0001
AZ20150108000002|{"type":"OrderCreated","customer":"李女士","position":2}|OrderCreated|cmd-0002
AZ20150108000001|{"type":"OrderDispatched","to":"S2100911","position":3}|OrderDispatched|cmd-0003
EOF
)

# One kcat per message, so each carries its own headers. The first one creates the topic (the
# broker auto-creates it with one partition, so the order is kept).
while IFS='|' read -r key value type command_id; do
  printf '%s|%s\n' "$key" "$value" |
    kcat -P -b "$bootstrap" -t "$topic" -K '|' -X acks=all -X enable.idempotence=true \
      -H "type=$type" -H "command_id=$command_id"
done <<<"$expected"

actual=$(timeout 60 kcat -C -b "$bootstrap" -t "$topic" -o beginning -c 3 -e -q \
  -f '%k|%s|%h\n')
# kcat prints the headers as type=...,command_id=...: back into the expected columns.
actual=$(sed -E 's/\|type=([^,]*),command_id=(.*)$/|\1|\2/' <<<"$actual")

if [[ $actual != "$expected" ]]; then
  echo "FAIL: what came back differs from what was produced" >&2
  diff <(echo "$expected") <(echo "$actual") >&2 || true
  exit 1
fi
echo "$actual"
echo "broker roundtrip: ok"
