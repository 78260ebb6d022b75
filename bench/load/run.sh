#!/usr/bin/env bash
# Side-by-side load run: the same GETs straight to a stand-in upstream (nginx serving a fixed JSON answer) and through
# the published gateway in front of it, with wrk on loopback. Bounded: DURATION seconds per side (default 10).
# Needs: wrk and nginx (Debian: apt-get install -y wrk nginx-light). Prints requests/s and latency for both.
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
work=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
upstream_port=$(free_port)
gateway_port=$(free_port)

mkdir -p "$work/html/api/v1"
printf '[{"id":1001,"name":"Load test campaign","status":"ACTIVE"}]' > "$work/html/api/v1/campaigns"
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work;
  proxy_temp_path $work;
  fastcgi_temp_path $work;
  uwsgi_temp_path $work;
  scgi_temp_path $work;
  server {
    listen 127.0.0.1:$upstream_port;
    location / { root $work/html; default_type application/json; }
  }
}
CONF
nginx -c "$work/nginx.conf"

dotnet publish src/SmartLead.Gateway/SmartLead.Gateway.csproj -c Release -o "$work/gateway" >/dev/null
ASPNETCORE_URLS="http://127.0.0.1:$gateway_port" ASPNETCORE_ENVIRONMENT=Production GATEWAY_CONFIG_DIR="$work/config" \
  SmartLead__BaseUrl="http://127.0.0.1:$upstream_port" SmartLead__ApiKey=load-test-key RateLimit__Enabled=false \
  dotnet "$work/gateway/SmartLead.Gateway.dll" > "$work/gateway.log" 2>&1 &
gateway=$!
cleanup() { kill $gateway 2>/dev/null || true; nginx -c "$work/nginx.conf" -s stop 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$gateway_port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

path="/api/v1/campaigns?client_id=7"
# Warm both paths (JIT, connection pools), then measure.
wrk -t"$THREADS" -c"$CONNECTIONS" -d3s "http://127.0.0.1:$upstream_port$path" >/dev/null
wrk -t"$THREADS" -c"$CONNECTIONS" -d3s "http://127.0.0.1:$gateway_port$path" >/dev/null
echo "== direct to upstream (nginx)"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "http://127.0.0.1:$upstream_port$path" | grep -E "Requests/sec|Latency|50%|99%"
echo "== through the gateway (key injection, retries, request log to stdout)"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "http://127.0.0.1:$gateway_port$path" | grep -E "Requests/sec|Latency|50%|99%"
echo "gateway log lines written: $(wc -l < "$work/gateway.log")"
