#!/usr/bin/env bash
# Side-by-side load run on loopback, in alternating rounds so that a busy moment of the machine hits every target:
#   upstream   nginx serving a fixed JSON answer (the stand-in SmartLead every target forwards to)
#   bare-yarp  bench/BareYarp: YARP with the gateway's key transform and nothing else (the floor)
#   nginx      nginx as a proxy that appends the key
#   gateway    the published gateway with every feature on: budget (limits far above the load), retries, breaker,
#              lead check, key scrubbing, one compact JSON request-log line per request (to a file)
# Prints req/s, p50 and p99 (median over the rounds), the proxy's CPU per request, peak RSS of each proxy, and the
# ratios to bare YARP.
# Needs wrk and nginx (Debian: apt-get install -y wrk nginx-light). Bounded: targets x (WARMUP + ROUNDS x DURATION) seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-10}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
TARGETS=${TARGETS:-"bare-yarp nginx gateway"}
KEY=load-test-key-0123456789
work=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
upstream_port=$(free_port); nginx_proxy_port=$(free_port); bare_port=$(free_port); gateway_port=$(free_port)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  nginx -c "$work/nginx.conf" -s stop 2>/dev/null || true
}
trap cleanup EXIT

# One nginx: the upstream on one port, the key-appending proxy on another.
mkdir -p "$work/html/api/v1"
printf '[{"id":1001,"name":"Load test campaign","status":"ACTIVE"}]' > "$work/html/api/v1/campaigns"
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work; proxy_temp_path $work; fastcgi_temp_path $work; uwsgi_temp_path $work; scgi_temp_path $work;
  upstream smartlead { server 127.0.0.1:$upstream_port; keepalive 64; }
  server {
    listen 127.0.0.1:$upstream_port;
    location / { root $work/html; default_type application/json; }
  }
  server {
    listen 127.0.0.1:$nginx_proxy_port;
    location /api/ {
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      set \$sep "";
      if (\$args) { set \$sep "&"; }
      proxy_pass http://smartlead\$uri?\$args\${sep}api_key=$KEY;
    }
  }
}
CONF
nginx -c "$work/nginx.conf"

dotnet publish bench/BareYarp/BareYarp.csproj -c Release -o "$work/bare-yarp" >/dev/null
dotnet publish src/SmartLead.Gateway/SmartLead.Gateway.csproj -c Release -o "$work/gateway" >/dev/null

ASPNETCORE_URLS="http://127.0.0.1:$bare_port" BARE_YARP_UPSTREAM="http://127.0.0.1:$upstream_port" BARE_YARP_KEY=$KEY \
  dotnet "$work/bare-yarp/BareYarp.dll" > "$work/bare-yarp.log" 2>&1 &
bare=$!; pids+=("$bare")
mkdir -p "$work/config"
ASPNETCORE_URLS="http://127.0.0.1:$gateway_port" ASPNETCORE_ENVIRONMENT=Production GATEWAY_CONFIG_DIR="$work/config" \
  SmartLead__BaseUrl="http://127.0.0.1:$upstream_port" SmartLead__ApiKey=$KEY \
  RateLimit__Enabled=true RateLimit__Plan=Custom RateLimit__TokenLimit=1000000 RateLimit__TokensPerPeriod=1000000 \
  RateLimit__Windows__0__PermitLimit=1000000 RateLimit__Windows__0__Window=00:00:01 \
  dotnet "$work/gateway/SmartLead.Gateway.dll" > "$work/gateway.log" 2>&1 &
gateway=$!; pids+=("$gateway")
for port in $bare_port $gateway_port; do
  for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/api/v1/campaigns" 2>/dev/null && break; sleep 0.1; done
done

path="/api/v1/campaigns?client_id=7"
url_of() { case $1 in bare-yarp) echo "http://127.0.0.1:$bare_port$path";; nginx) echo "http://127.0.0.1:$nginx_proxy_port$path";;
  gateway) echo "http://127.0.0.1:$gateway_port$path";; upstream) echo "http://127.0.0.1:$upstream_port$path";; esac; }
pid_of() { case $1 in bare-yarp) echo "$bare";; gateway) echo "$gateway";; *) echo "";; esac; }
cpu_ticks() { [[ -n $1 ]] && awk '{print $14 + $15}' "/proc/$1/stat" || echo 0; }

# Every target must answer 200 with the key reaching the upstream (a proxy that fails fast would look fast).
for target in $TARGETS; do
  status=$(curl -s -o /dev/null -w '%{http_code}' "$(url_of "$target")")
  [[ $status == 200 ]] || { echo "$target answered $status, not 200"; exit 1; }
done

# Warm-up: JIT, tiered compilation (the gateway has more code to reach its optimised tier), connection pools.
for target in $TARGETS; do wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" "$(url_of "$target")" >/dev/null; done

to_ms() { awk '{ v=$1; if (v ~ /us$/) { sub(/us$/,"",v); print v/1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v); print v } else if (v ~ /s$/) { sub(/s$/,"",v); print v*1000 } else print v }'; }
for round in $(seq 1 "$ROUNDS"); do
  for target in $TARGETS; do
    pid=$(pid_of "$target"); cpu0=$(cpu_ticks "$pid")
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$(url_of "$target")")
    cpu1=$(cpu_ticks "$pid")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1=="50%" {print $2}' <<<"$out" | to_ms)
    p99=$(awk '$1=="99%" {print $2}' <<<"$out" | to_ms)
    non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out"); non2xx=${non2xx:-0}
    requests=$(awk '/requests in/ {print $1}' <<<"$out")
    # CPU the proxy process spent per request (user + system; clock ticks of 1/CLK_TCK s), "-" for nginx.
    cpu_us=$([[ -n $pid && $requests -gt 0 ]] && awk -v a="$cpu0" -v b="$cpu1" -v n="$requests" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", (b - a) * 1e6 / hz / n }' || echo "-")
    echo "$target $round $rps $p50 $p99 $non2xx $cpu_us" >> "$work/results"
    printf 'round %s %-10s %10s req/s  p50 %6s ms  p99 %6s ms  cpu %6s us/req  non-2xx %s\n' "$round" "$target" "$rps" "$p50" "$p99" "$cpu_us" "$non2xx"
  done
done

peak_rss_mb() { [[ -n $1 ]] && awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status" || echo "-"; }
nginx_rss_mb() { ps -o rss= -C nginx | awk '{s+=$1} END {printf "%.0f", s/1024}'; }
echo
printf '%-10s %10s %8s %8s %11s %9s\n' target "req/s" "p50 ms" "p99 ms" "cpu us/req" "peak RSS"
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
for target in $TARGETS; do
  rps=$(awk -v t="$target" '$1==t {print $3}' "$work/results" | median)
  p50=$(awk -v t="$target" '$1==t {print $4}' "$work/results" | median)
  p99=$(awk -v t="$target" '$1==t {print $5}' "$work/results" | median)
  cpu=-
  [[ $target == nginx ]] || cpu=$(awk -v t="$target" '$1==t {print $7}' "$work/results" | median)
  rss=$([[ $target == nginx ]] && echo "$(nginx_rss_mb) MB (all nginx)" || echo "$(peak_rss_mb "$(pid_of "$target")") MB")
  printf '%-10s %10.0f %8.2f %8.2f %11s %9s\n' "$target" "$rps" "$p50" "$p99" "$cpu" "$rss"
  echo "$target $rps $p99" >> "$work/medians"
done
if grep -q '^bare-yarp ' "$work/medians"; then
  read -r _ base_rps base_p99 < <(grep '^bare-yarp ' "$work/medians")
  echo
  while read -r target rps p99; do
    awk -v t="$target" -v r="$rps" -v p="$p99" -v br="$base_rps" -v bp="$base_p99" \
      'BEGIN { printf "%-10s %.2fx bare YARP throughput, %.2fx its p99\n", t, r/br, p/bp }'
  done < "$work/medians"
fi
echo "gateway request-log lines written: $(grep -c '"EventId":{"Id":2001' "$work/gateway.log" || true)"
