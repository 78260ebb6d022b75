#!/usr/bin/env bash
# What 10,000 requests waiting in the budget's queue cost: memory and threads of the published gateway while they
# wait. The budget lets one request through per hour, so everything after the first waits (QueueLimit and
# MaxQueueWait are raised so none is refused). Needs python3. Bounded: about a minute.
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT=${COUNT:-10000}
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
dotnet publish src/SmartLead.Gateway/SmartLead.Gateway.csproj -c Release -o "$work/gateway" >/dev/null
mkdir -p "$work/config"
ASPNETCORE_URLS="http://127.0.0.1:$port" ASPNETCORE_ENVIRONMENT=Production GATEWAY_CONFIG_DIR="$work/config" \
  SmartLead__BaseUrl="http://127.0.0.1:9" SmartLead__ApiKey=parked-test-key \
  RateLimit__TokenLimit=1 RateLimit__TokensPerPeriod=1 RateLimit__ReplenishmentPeriod=01:00:00 \
  RateLimit__QueueLimit=$((COUNT + 100)) RateLimit__MaxQueueWait=00:10:00 Retry__MaxRetries=0 \
  dotnet "$work/gateway/SmartLead.Gateway.dll" > "$work/gateway.log" 2>&1 &
gateway=$!
trap 'kill $gateway 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break; sleep 0.1; done
python3 bench/load/parked.py "$port" "$gateway" "$COUNT"
