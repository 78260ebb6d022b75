#!/usr/bin/env bash
# What 10,000 requests waiting in the budget's queue cost: memory and threads of the published gateway while they
# wait. The budget grants one permit every 8 s (MaxQueueWait a day, QueueLimit above COUNT), so the last of 10,000 is
# projected about 22 h away and every request is admitted to the queue and waits; over the minute of the run a handful
# are served (to a closed port, so they fail at once). A budget that lets nothing through for an hour would not do:
# admission projects each newcomer's wait, and one permit an hour puts all but a few beyond any MaxQueueWait, so they
# are refused with 429 at once and what is measured is idle keep-alive connections (the figures before this change
# were). The python side checks /status.json until the queue holds them and prints its length. Needs python3.
# Bounded: about a minute, plus up to 2 minutes for GCDUMP's heap dump or 5 for HEAPDUMP's.
# GCDUMP=/tmp/parked.gcdump also takes a heap dump of the gateway while they wait (dotnet-gcdump from ~/.dotnet/tools);
# HEAPDUMP=/tmp/parked.dump an exact one (dotnet-dump: dotnet tool install -g dotnet-dump).
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT=${COUNT:-10000}
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
dotnet publish src/SmartLead.Gateway/SmartLead.Gateway.csproj -c Release -o "$work/gateway" >/dev/null
mkdir -p "$work/config"
ASPNETCORE_URLS="http://127.0.0.1:$port" ASPNETCORE_ENVIRONMENT=Production GATEWAY_CONFIG_DIR="$work/config" \
  SmartLead__BaseUrl="http://127.0.0.1:9" SmartLead__ApiKey=parked-test-key \
  RateLimit__TokenLimit=1 RateLimit__TokensPerPeriod=1 RateLimit__ReplenishmentPeriod=00:00:08 \
  RateLimit__QueueLimit=$((COUNT + 100)) RateLimit__MaxQueueWait=1.00:00:00 Retry__MaxRetries=0 \
  dotnet "$work/gateway/SmartLead.Gateway.dll" > "$work/gateway.log" 2>&1 &
gateway=$!
trap 'kill $gateway 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break; sleep 0.1; done
PATH="$PATH:$HOME/.dotnet/tools" python3 bench/load/parked.py "$port" "$gateway" "$COUNT"
