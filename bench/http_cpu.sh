#!/usr/bin/env bash
# bench/http_cpu.sh — server CPU per request: pxed (threads = 1, threads = 0, each with the API
# on and off) and nginx (worker_processes auto and no access log; and as Debian's nginx.conf ships
# it: auto workers, an access log, keepalive_requests 1000), 64 x 4 KiB files over
# keep-alive, wrk -t2 -c64 for 6 s, all on loopback inside a private network namespace this
# script makes (unshare -n): nothing touches the host's interfaces. Servers unpinned, like a
# user's box. Prints req/s and server CPU microseconds per request (utime + stime of the
# server and its children, from /proc, over the wrk run).
#
# Usage: sudo bench/http_cpu.sh [--runs N]      env PXED_BIN (default build/pxed)
# Progress and results go to stdout, one line per server and run.
set -euo pipefail
REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PXED_BIN=${PXED_BIN:-$REPO_DIR/build/pxed}
RUNS=${RUNS:-3}
while (($#)); do
  case $1 in
    --runs) RUNS=${2:?--runs needs a number}; shift ;;
    -h|--help) sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "http_cpu.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "http_cpu.sh: --runs must be a positive integer" >&2; exit 2; }

if [[ ${1:-} != --inside && -z ${HTTP_CPU_INSIDE:-} ]]; then
  WORK=$(mktemp -d /tmp/http-cpu.XXXXXX)
  trap 'rm -rf "$WORK"' EXIT
  mkdir -p "$WORK/root"
  for i in $(seq -w 0 63); do head -c 4096 /dev/urandom >"$WORK/root/f$i.bin"; done
  chmod -R a+rX "$WORK"
  HTTP_CPU_INSIDE=1 WORK=$WORK PXED_BIN=$PXED_BIN RUNS=$RUNS unshare -n "${BASH_SOURCE[0]}"
  exit
fi

ip link set lo up
cat >"$WORK/rr.lua" <<'LUA'
local reqs, n = {}, 0
init = function(args)
  for i = 0, 63 do reqs[i + 1] = wrk.format("GET", string.format("/f%02d.bin", i)) end
end
request = function() n = n % #reqs + 1; return reqs[n] end
LUA
pxed_config() {  # threads api
  cat <<TOML
[server]
log_level = "warn"
state_dir = "$WORK/state-$1-$2"
threads = $1
[files]
root = "$WORK/root"
[tftp]
enabled = false
[http]
enabled = true
listen = "127.0.0.1:8080"
[api]
enabled = $2
TOML
}
# nginx_config CONNECTIONS DIRECTIVES: the config both nginx runs share, DIRECTIVES in its http block.
nginx_config() {
  cat <<NGINX
daemon off;
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections $1; }
http {
  sendfile on; tcp_nopush on; default_type application/octet-stream; $2
  client_body_temp_path $WORK/body; proxy_temp_path $WORK/proxy;
  server { listen 127.0.0.1:8080; root $WORK/root; }
}
NGINX
}
nginx_config 4096 "tcp_nodelay on; keepalive_timeout 65; keepalive_requests 100000; access_log off;" \
  >"$WORK/nginx.conf"
# The http block of Debian's /etc/nginx/nginx.conf (no TLS here), its access log in WORK.
nginx_config 768 "types_hash_max_size 2048; access_log $WORK/access.log; gzip on;" >"$WORK/nginx-debian.conf"
cpu_ticks() {  # pid -> utime + stime of it and its children, in clock ticks
  local p t=0
  for p in "$1" $(pgrep -P "$1" || true); do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done
  echo "$t"
}
measure() {  # label command...
  local label=$1 pid t0 t1 out reqs rps; shift
  "$@" >"$WORK/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 50); do ss -Hltn 'sport = :8080' | grep -q . && break; sleep 0.1; done
  sleep 0.5
  t0=$(cpu_ticks "$pid")
  out=$(timeout 30 wrk -t2 -c64 -d6s -s "$WORK/rr.lua" http://127.0.0.1:8080/)
  t1=$(cpu_ticks "$pid")
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  reqs=$(awk '/requests in/ { print $1 }' <<<"$out")
  rps=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
  awk -v l="$label" -v r="$rps" -v c=$((t1 - t0)) -v n="$reqs" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%-34s %8.0f req/s  %5.1f us CPU per request\n", l, r, c * 1e6 / hz / n }'
}
echo "$(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); $("$PXED_BIN" --version 2>&1 | head -1); $(/usr/sbin/nginx -v 2>&1)"
for ((run = 1; run <= RUNS; run++)); do
  for threads in 1 0; do
    for api in true false; do
      pxed_config "$threads" "$api" >"$WORK/pxed.toml"
      measure "run $run pxed threads=$threads api=$api" "$PXED_BIN" serve -c "$WORK/pxed.toml"
    done
  done
  measure "run $run nginx auto" /usr/sbin/nginx -p "$WORK/" -e "$WORK/nginx-error.log" -c "$WORK/nginx.conf"
  measure "run $run nginx as Debian ships it" /usr/sbin/nginx -p "$WORK/" -e "$WORK/nginx-error.log" \
    -c "$WORK/nginx-debian.conf"
done
