#!/usr/bin/env bash
# bench/http.sh — HTTP benchmark: pxed against nginx, the same files, the same machine, one run.
#
# Cases (servers interleaved run by run, so drift hits all alike; a fresh server per case):
#   small  64 files of 4 KiB fetched round-robin by wrk over keep-alive connections (64
#          connections, one wrk thread): requests/s, p99 latency, errors. Any non-2xx response
#          or socket error fails the cell. Server on CPU 0, wrk on CPU 1.
#   big    one 1 GiB random file: one curl, then 16 parallel curls (GB/s aggregate, every size
#          checked), with the server's memory (VmRSS summed over its processes) sampled every
#          0.1 s during the 16 downloads. Before the first run one download per server is
#          streamed through sha256sum and must equal the source.
#   iso    a file inside an ISO image (xorriso -R -J): pxed serves the image as a folder
#          ([[files.mount]], nothing extracted); nginx serves a copy extracted with xorriso (this
#          kernel has no iso9660, so no loop mount). Both cases above inside it, each with a
#          fresh server: a 1 GiB member (1 curl, 16 parallel curls, memory; sha256 checked first)
#          and 64 x 4 KiB members in images/pxeboot/ fetched round-robin by wrk (requests/s, p99;
#          three compared byte for byte first).
# Servers: pxed with one thread ([server] threads = 1) against nginx with worker_processes 1
# (the fair match, both pinned to CPU 0), and pxed with its default (threads = 0: an HTTP loop
# per core) against nginx with worker_processes auto and no access log (nginx at its best
# here), both unpinned; and pxed's default against nginx-debian: nginx as Debian's nginx.conf
# ships it (worker_processes auto, worker_connections 768, an access log line per request,
# keepalive_requests at its default of 1000, gzip on), unpinned. Each pair has its ratio column.
#
# Safety: every server runs in a network namespace this script creates; the clients run in
# another namespace joined to each server namespace by a veth pair on 10.244.K.0/24. Nothing is
# bound on the host's interfaces. A trap tears down processes, namespaces and the temp dir on
# exit, ^C or TERM.
#
# Usage: bench/http.sh [--quick] [--runs N] [--servers pxed,nginx,pxed-auto,nginx-auto,nginx-debian]
#                     [--cases small,big,iso]
#   --quick   one short run of each case (2 s wrk, 64 MiB files, 8 parallel curls; < 60 s), for
#             a CI smoke run
#   env PXED_BIN (default build/pxed of this repository), PXBENCH_* (see set_profile)
# Progress goes to stderr, the markdown report to stdout. Needs root (namespaces).
set -euo pipefail

# ---------------------------------------------------------------- settings
REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO_DIR
PXED_BIN=${PXED_BIN:-$REPO_DIR/build/pxed}
NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}
SERVERS=pxed,nginx,pxed-auto,nginx-auto,nginx-debian
RUNS=3
QUICK=0
CASES=small,big,iso

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
}

parse_args() {
  while (($#)); do
    case $1 in
      --quick) QUICK=1 ;;
      --runs) RUNS=${2:?--runs needs a number}; shift ;;
      --runs=*) RUNS=${1#*=} ;;
      --servers) SERVERS=${2:?--servers needs a list}; shift ;;
      --servers=*) SERVERS=${1#*=} ;;
      --cases) CASES=${2:?--cases needs a list}; shift ;;
      --cases=*) CASES=${1#*=} ;;
      -h|--help) usage; exit 0 ;;
      *) echo "http.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
  done
  [[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "http.sh: --runs must be a positive integer" >&2; exit 2; }
  local s
  IFS=, read -ra SERVER_LIST <<<"$SERVERS"
  for s in "${SERVER_LIST[@]}"; do
    case $s in pxed|nginx|pxed-auto|nginx-auto|nginx-debian) ;; *) echo "http.sh: unknown server '$s'" >&2; exit 2 ;; esac
  done
  IFS=, read -ra CASE_LIST <<<"$CASES"
  for s in "${CASE_LIST[@]}"; do
    case $s in small|big|iso) ;; *) echo "http.sh: unknown case '$s'" >&2; exit 2 ;; esac
  done
}

# Case sizes. PXBENCH_* override the full-mode defaults:
#   PXBENCH_WRK_SECS (10)      seconds per wrk run
#   PXBENCH_WRK_CONNS (64)     wrk keep-alive connections
#   PXBENCH_WRK_THREADS (1)    wrk threads (all on one CPU: a second thread only adds switches)
#   PXBENCH_WRK_CPUS (1)       the CPUs wrk may run on ("0-1": beside the servers, as a user's
#                              benchmark of one box runs; then 2 wrk threads)
#   PXBENCH_BIG_MIB (1024)     the big file, and the big member of the ISO image
#   PXBENCH_PARALLEL (16)      parallel curls in the big cases (--quick: 8)
#   PXBENCH_NICE (0)           nice level for servers and clients alike, and of the benchmark's own
#                              scheduler autogroup (run_in_own_autogroup in lib.sh: plain nice
#                              gains nothing against other sessions); on a machine busy with other
#                              work, -10 keeps the benchmark from measuring the scheduler
set_profile() {
  NCPU=$(nproc)
  if ((QUICK)); then
    RUNS=1; WRK_SECS=2; BIG_MIB=64
  else
    WRK_SECS=${PXBENCH_WRK_SECS:-10}; BIG_MIB=${PXBENCH_BIG_MIB:-1024}
  fi
  WRK_CONNS=${PXBENCH_WRK_CONNS:-64}
  WRK_THREADS=${PXBENCH_WRK_THREADS:-1}
  WRK_CPUS=${PXBENCH_WRK_CPUS:-}
  # --quick: 8 parallel curls, or 6 batches of 16 x 64 MiB alone take ~25 s of the 60 s budget.
  PARALLEL=${PXBENCH_PARALLEL:-$( ((QUICK)) && echo 8 || echo 16)}
  NICE=${PXBENCH_NICE:-0}
  [[ $NICE =~ ^-?[0-9]+$ ]] || { echo "http.sh: PXBENCH_NICE must be an integer" >&2; exit 2; }
  SMALL_FILES=64
  SMALL_BYTES=4096
  BIG_BYTES=$((BIG_MIB * 1048576))
  ISO_DIR=images/pxeboot   # where the small members live in the image, as in a distro's
  BIG_CAP=300      # seconds for one download or the whole parallel batch; ~1 s is normal
  if ((NCPU >= 2)); then SRV_CPU=0; CLI_CPU=1; else SRV_CPU=0; CLI_CPU=0; fi
  WRK_CPUS=${WRK_CPUS:-$CLI_CPU}
}

BENCH_NET=10.244
# shellcheck source=bench/lib.sh
source "$REPO_DIR/bench/lib.sh"
server_index() {
  case $1 in nginx) echo 1 ;; nginx-auto) echo 2 ;; pxed) echo 3 ;; pxed-auto) echo 4 ;; nginx-debian) echo 5 ;; esac
}

# ---------------------------------------------------------------- files
# small/f00..f63.bin (4 KiB each) and big.bin, random, shared by every server. For the iso case,
# the same shapes inside bench.iso (big.bin and images/pxeboot/f00..f63.bin): pxed mounts the
# image at /iso, nginx serves the copy xorriso extracted to $WORK/extracted at the same URLs.
# SHA[tag] and BYTES_OF[tag]: what a download of the case's big file must hash to and weigh.
declare -A SHA=() BYTES_OF=()
make_files() {
  ROOT=$WORK/root
  mkdir -p "$ROOT/small" "$WORK/out"
  # nginx's worker runs as nobody: the tree must be world-readable.
  chmod 755 "$WORK" "$ROOT" "$ROOT/small"
  local i
  if want small; then
    for ((i = 0; i < SMALL_FILES; i++)); do
      head -c "$SMALL_BYTES" /dev/urandom >"$ROOT/small/$(printf 'f%02d.bin' "$i")"
    done
  fi
  if want big; then
    log "writing a $BIG_MIB MiB random file"
    dd if=/dev/urandom of="$ROOT/big.bin" bs=1M count="$BIG_MIB" status=none
    SHA[big]=$(sha256sum "$ROOT/big.bin" | cut -d' ' -f1)
    BYTES_OF[big]=$BIG_BYTES
  fi
  find "$ROOT" -type f -exec chmod 644 {} +
  if want iso; then make_iso; fi
  write_roundrobin /small "$WORK/roundrobin-small.lua"
  write_roundrobin "/iso/$ISO_DIR" "$WORK/roundrobin-isosmall.lua"
}

make_iso() {
  local src=$WORK/iso-src i
  mkdir -p "$src/$ISO_DIR"
  for ((i = 0; i < SMALL_FILES; i++)); do
    head -c "$SMALL_BYTES" /dev/urandom >"$src/$ISO_DIR/$(printf 'f%02d.bin' "$i")"
  done
  log "writing a $BIG_MIB MiB random file into an ISO image, extracting a copy for nginx"
  dd if=/dev/urandom of="$src/big.bin" bs=1M count="$BIG_MIB" status=none
  SHA[isobig]=$(sha256sum "$src/big.bin" | cut -d' ' -f1)
  BYTES_OF[isobig]=$BIG_BYTES
  xorriso -as mkisofs -R -J -V PXBENCH -o "$WORK/bench.iso" "$src" >"$WORK/xorriso.log" 2>&1 ||
    { log "xorriso failed: $(tail -c 300 "$WORK/xorriso.log")"; exit 1; }
  rm -f "$src/big.bin"   # tmpfs: the image and the extracted copy are enough
  # stdio: because /dev/shm is under /dev, where xorriso expects optical drives.
  xorriso -osirrox on -indev "stdio:$WORK/bench.iso" -extract / "$WORK/extracted" >>"$WORK/xorriso.log" 2>&1 ||
    { log "xorriso -extract failed: $(tail -c 300 "$WORK/xorriso.log")"; exit 1; }
  chmod -R a+rX,u+w "$WORK/extracted"
  chmod 644 "$WORK/bench.iso"
  chmod 755 "$WORK/extracted"
}

# write_roundrobin PREFIX FILE: a wrk script fetching PREFIX/f00.bin .. f63.bin round-robin;
# the requests are built once, in init.
write_roundrobin() {
  cat >"$2" <<EOF
local reqs, n = {}, 0
init = function(args)
  for i = 0, $((SMALL_FILES - 1)) do
    reqs[i + 1] = wrk.format("GET", string.format("$1/f%02d.bin", i))
  end
end
request = function()
  n = n % #reqs + 1
  return reqs[n]
end
EOF
}

# ---------------------------------------------------------------- servers
declare -A SERVER_PID=() SERVER_DEAD=()

server_cpus() { if [[ $1 == *-auto || $1 == nginx-debian ]]; then echo "0-$((NCPU - 1))"; else echo "$SRV_CPU"; fi; }

# start_server NAME: launch pinned inside its namespace, wait until port 80 listens.
start_server() {
  local s=$1 ns ip logf pid cpus dir
  ns=$(server_ns "$s"); ip=$(server_ip "$s"); logf=$WORK/$s.log; cpus=$(server_cpus "$s")
  : >"$logf"
  # nsenter and taskset exec, so $! is the server itself.
  case $s in
    pxed|pxed-auto)
      cat >"$WORK/pxed.toml" <<EOF
[server]
log_level = "warn"
threads = $([[ $s == pxed ]] && echo 1 || echo 0)
[files]
root = "$ROOT"
$(want iso && printf '[[files.mount]]\nat = "/iso"\niso = "%s"\n' "$WORK/bench.iso")
[tftp]
enabled = false
[http]
enabled = true
listen = "$ip:80"
max_connections = 4096
EOF
      nsenter --net="/run/netns/$ns" nice -n "$NICE" taskset -c "$cpus" "$PXED_BIN" serve -c "$WORK/pxed.toml" >>"$logf" 2>&1 &
      ;;
    nginx|nginx-auto|nginx-debian)
      # nginx and nginx-auto: pxed logs nothing per request at level warn, so access_log off is
      # the fair match. nginx-debian: the http block of Debian's /etc/nginx/nginx.conf (no TLS
      # here), its access log in WORK. Every path nginx writes (pid, logs, temp dirs) is in
      # WORK; -e keeps it off /var/log at start.
      dir=$WORK/$s; mkdir -p "$dir"
      local workers=1 connections=4096 tuning
      [[ $s != nginx ]] && workers=auto
      tuning="tcp_nodelay on;
  keepalive_timeout 65;
  keepalive_requests 100000;
  access_log off;"
      if [[ $s == nginx-debian ]]; then
        connections=768
        tuning="types_hash_max_size 2048;
  access_log $dir/access.log;
  gzip on;"
      fi
      cat >"$dir/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes $workers;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections $connections; }
http {
  sendfile on;
  tcp_nopush on;
  $tuning
  default_type application/octet-stream;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  server {
    listen $ip:80;
    root $ROOT;
    location /iso/ { alias $WORK/extracted/; }
  }
}
EOF
      nsenter --net="/run/netns/$ns" nice -n "$NICE" taskset -c "$cpus" "$NGINX_BIN" -p "$dir/" -e "$dir/error.log" \
        -c "$dir/nginx.conf" >>"$logf" 2>&1 &
      ;;
  esac
  pid=$!
  SERVER_PID[$s]=$pid
  local deadline=$((SECONDS + 10))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    if [[ -n $(in_ns "$ns" ss -Hltn "sport = :80") ]]; then return 0; fi
    sleep 0.05
  done
  log "$s did not become ready within 10 s (log: $(tail -c 300 "$logf" | tr '\n' ' '))"
  stop_server "$s"
  SERVER_DEAD[$s]=1
  return 1
}

# Stop the server and its workers (nginx's master stops them on TERM; stragglers get KILL).
stop_server() {
  local s=$1 ns pid p
  ns=$(server_ns "$s")
  pid=${SERVER_PID[$s]:-}
  if [[ -n $pid ]]; then kill -TERM "$pid" 2>/dev/null || true; fi
  local deadline=$((SECONDS + 5))
  while [[ -n $(ip netns pids "$ns") ]] && ((SECONDS < deadline)); do sleep 0.05; done
  for p in $(ip netns pids "$ns"); do kill -KILL "$p" 2>/dev/null || true; done
  if [[ -n $pid ]]; then wait "$pid" 2>/dev/null || true; fi
  SERVER_PID[$s]=
}

alive() { [[ -z ${SERVER_DEAD[$1]:-} ]]; }

# ---------------------------------------------------------------- results
# RES[key] holds one word per run: a number or "FAIL:<why>".
declare -A RES=()
record() { RES[$1]="${RES[$1]:+${RES[$1]} }$2"; }

# ---------------------------------------------------------------- small files
# to_ms "1.23ms" -> 1.23 (wrk prints us, ms or s).
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f\n", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f\n", v }
    else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.3f\n", v * 60000 }
    else { sub(/s$/, "", v); printf "%.3f\n", v * 1000 } }'
}

# check_small SERVER URLPREFIX SRCDIR: three of the small files once with curl, compared byte
# for byte with their sources.
check_small() {
  local s=$1 prefix=$2 srcdir=$3 ip i f out=$WORK/out/small.bin
  ip=$(server_ip "$s")
  for ((i = 0; i < SMALL_FILES; i += 21)); do
    f=$(printf 'f%02d.bin' "$i")
    rm -f "$out"
    in_ns "$CLI_NS" timeout 10 curl -sf -o "$out" "http://$ip$prefix/$f" || { echo "fetch"; return; }
    cmp -s "$out" "$srcdir/$f" || { echo "content"; return; }
  done
  rm -f "$out"
  echo ok
}

# run_small TAG URLPREFIX SRCDIR: wrk round-robin over URLPREFIX/f00..f63.bin (the script
# $WORK/roundrobin-TAG.lua); results under TAG|rps|SERVER and TAG|p99|SERVER.
run_small() {
  local tag=$1 prefix=$2 srcdir=$3 run s ip out rps p99 non2xx sockerr bad chk
  log "$tag: $SMALL_FILES x 4 KiB at $prefix/ round-robin, wrk $WRK_THREADS thread(s) x $WRK_CONNS connections, ${WRK_SECS} s; server cpu $SRV_CPU (*-auto, nginx-debian: all), wrk cpus $WRK_CPUS"
  for ((run = 1; run <= RUNS; run++)); do
    for s in "${SERVER_LIST[@]}"; do
      alive "$s" || continue
      start_server "$s" || continue
      ip=$(server_ip "$s"); out=$WORK/wrk.out
      chk=$(check_small "$s" "$prefix" "$srcdir")
      if [[ $chk != ok ]]; then
        log "  run $run $s: small-file check failed ($chk)"
        record "$tag|rps|$s" "FAIL:$chk"; record "$tag|p99|$s" "FAIL:$chk"
        stop_server "$s"; continue
      fi
      in_ns "$CLI_NS" nice -n "$NICE" taskset -c "$WRK_CPUS" timeout $((WRK_SECS + 30)) wrk -t "$WRK_THREADS" -c "$WRK_CONNS" \
        -d "${WRK_SECS}s" --latency -s "$WORK/roundrobin-$tag.lua" "http://$ip/" >"$out" 2>&1 || true
      stop_server "$s"
      rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
      p99=$(awk '$1 == "99%" { print $2 }' "$out")
      non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
      sockerr=$(sed -n 's/.*Socket errors: connect \([0-9]*\), read \([0-9]*\), write \([0-9]*\), timeout \([0-9]*\).*/\1 \2 \3 \4/p' "$out" |
        awk '{ print $1 + $2 + $3 + $4 }')
      bad=
      [[ -z $rps || -z $p99 ]] && bad="wrk"
      [[ -n ${non2xx:-} && ${non2xx:-0} != 0 ]] && bad="${non2xx}non2xx"
      [[ -n ${sockerr:-} && ${sockerr:-0} != 0 ]] && bad="${bad:+$bad,}${sockerr}sockerr"
      if [[ -n $bad ]]; then
        log "  run $run $s: FAIL ($bad): $(grep -E 'Requests/sec|errors|Non-2xx' "$out" | tr '\n' ' ')"
        record "$tag|rps|$s" "FAIL:$bad"; record "$tag|p99|$s" "FAIL:$bad"
      else
        p99=$(to_ms "$p99")
        record "$tag|rps|$s" "$rps"; record "$tag|p99|$s" "$p99"
        log "  run $run $s: $rps req/s, p99 $p99 ms"
      fi
    done
  done
}

# ---------------------------------------------------------------- big file
# Sample the server's memory while a case runs: VmRSS summed over every process in the server
# namespace (nginx: master + workers). Writes "max_rss_kib" to $2 when $WORK/sampling goes.
sample_memory() {
  local ns=$1 out=$2 max=0 rss
  while [[ -e $WORK/sampling ]]; do
    rss=$(ip netns pids "$ns" | awk '{
        f = "/proc/" $1 "/status"
        while ((getline line < f) > 0) { split(line, a, " "); if (a[1] == "VmRSS:") r += a[2] }
        close(f) } END { print r + 0 }')
    ((rss > max)) && max=$rss
    sleep 0.1
  done
  echo "$max" >"$out"
}
rss_now() {  # rss_now NS -> KiB summed over the namespace's processes
  ip netns pids "$1" | awk '{ f = "/proc/" $1 "/status"
    while ((getline line < f) > 0) { split(line, a, " "); if (a[1] == "VmRSS:") r += a[2] }
    close(f) } END { print r + 0 }'
}
hwm_now() {  # hwm_now NS -> KiB, VmHWM summed over the namespace's processes
  ip netns pids "$1" | awk '{ f = "/proc/" $1 "/status"
    while ((getline line < f) > 0) { split(line, a, " "); if (a[1] == "VmHWM:") r += a[2] }
    close(f) } END { print r + 0 }'
}

# Runs inside the client namespace (sent there with declare -f). N curls start at once, pinned
# to the client CPU; each writes "size speed" and its exit code. Prints the wall time.
parallel_clients() {
  local url=$1 n=$2 cap=$3 dir=$4 cpu=$5 nice=$6 i t0 t1
  t0=$EPOCHREALTIME
  for ((i = 1; i <= n; i++)); do
    { nice -n "$nice" taskset -c "$cpu" timeout "$cap" curl -s -o /dev/null -w '%{size_download} %{speed_download}' \
        "$url" >"$dir/$i.out" 2>/dev/null
      echo $? >"$dir/$i.rc"; } &
  done
  wait
  t1=$EPOCHREALTIME
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
}

# verify_big URL SHA: one download streamed through sha256sum must equal the source.
verify_big() {
  local sum
  sum=$(in_ns "$CLI_NS" bash -c "set -o pipefail; timeout $BIG_CAP curl -sf -o - $1 | sha256sum" |
    cut -d' ' -f1) || true
  [[ $sum == "$2" ]]
}

# run_big TAG URLPATH: the big file at URLPATH (SHA[TAG], BYTES_OF[TAG]) by 1 curl, then by
# $PARALLEL curls with the server's memory sampled; results under TAG1|, TAGN|, TAG|rss0| ...
run_big() {
  local tag=$1 path=$2 run s ns ip url times rc t0 t1 size wall dir i fails got rss0 peak hwm
  local bytes=${BYTES_OF[$tag]}
  log "$tag: $((bytes / 1048576)) MiB at $path, 1 curl then $PARALLEL parallel curls; server cpu $SRV_CPU (*-auto, nginx-debian: all), curl cpu $CLI_CPU"
  for ((run = 1; run <= RUNS; run++)); do
    for s in "${SERVER_LIST[@]}"; do
      alive "$s" || continue
      start_server "$s" || continue
      ns=$(server_ns "$s"); ip=$(server_ip "$s"); url="http://$ip$path"
      if ((run == 1)); then
        if verify_big "$url" "${SHA[$tag]}"; then
          VERIFIED[$tag|$s]=ok; log "  $s: sha256 of one download matches the source"
        else
          VERIFIED[$tag|$s]=FAIL; log "  $s: sha256 of one download does NOT match the source"
        fi
      fi
      # One client.
      # shellcheck disable=SC2016  # expanded by the inner bash
      times=$(in_ns "$CLI_NS" nice -n "$NICE" taskset -c "$CLI_CPU" bash -c \
        't0=$EPOCHREALTIME; timeout "$1" curl -s -o /dev/null -w "%{size_download}" "$2" >"$3"; rc=$?; echo "$rc $t0 $EPOCHREALTIME"' \
        _ "$BIG_CAP" "$url" "$WORK/out/single.size") || true
      read -r rc t0 t1 <<<"$times"
      size=0
      if [[ -r $WORK/out/single.size ]]; then read -r size <"$WORK/out/single.size" || true; fi
      if [[ $rc == 0 && $size == "$bytes" ]]; then
        wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }')
        record "${tag}1|$s" "$wall"
        log "  run $run $s: 1 curl $(gbps "$bytes" "$wall") GB/s"
      else
        record "${tag}1|$s" "FAIL:rc${rc}size$size"
        log "  run $run $s: 1 curl FAILED (exit $rc, $size bytes)"
      fi
      # N parallel clients, memory sampled throughout.
      dir=$WORK/par; rm -rf "$dir"; mkdir -p "$dir"
      rss0=$(rss_now "$ns")
      touch "$WORK/sampling"
      sample_memory "$ns" "$WORK/mem" & HELPER_PIDS+=($!)
      wall=$(in_ns "$CLI_NS" bash -c "$(declare -f parallel_clients); parallel_clients $url $PARALLEL $BIG_CAP $dir $CLI_CPU $NICE")
      hwm=$(hwm_now "$ns")
      rm -f "$WORK/sampling"; wait "${HELPER_PIDS[-1]}" || true; unset 'HELPER_PIDS[-1]'
      read -r peak <"$WORK/mem"
      stop_server "$s"
      fails=0
      for ((i = 1; i <= PARALLEL; i++)); do
        rc=x got=0
        if [[ -r $dir/$i.rc ]]; then read -r rc <"$dir/$i.rc" || true; fi
        # (curl -w writes no newline: read then returns 1 but has set the variable.)
        if [[ -r $dir/$i.out ]]; then read -r got _ <"$dir/$i.out" || true; fi
        [[ $rc == 0 && $got == "$bytes" ]] || fails=$((fails + 1))
      done
      if ((fails)); then record "${tag}N|$s" "FAIL:${fails}of$PARALLEL"; else record "${tag}N|$s" "$wall"; fi
      record "$tag|rss0|$s" "$rss0"; record "$tag|rsspeak|$s" "$peak"; record "$tag|hwm|$s" "$hwm"
      log "  run $run $s: $PARALLEL curls $(gbps $((bytes * PARALLEL)) "$wall") GB/s, $fails failed; RSS $((rss0 / 1024)) MiB before, peak $((peak / 1024)) MiB"
    done
  done
}
declare -A VERIFIED=()

gbps() { awk -v b="$1" -v t="$2" 'BEGIN { printf "%.2f\n", b / t / 1e9 }'; }

# ---------------------------------------------------------------- formatting
# Debian's awk is mawk: no asort(). Insertion sort of a[1..n], returns n.
AWK_SORT='function isort(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]
  for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }; return n }
function med(a, n) { n = isort(a, n); return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
'

# cell KEY KIND -> "median (min-max)" or "FAIL k/n (why)". KIND: num (as is, %.FMT), time->GB/s
# for BYTES (set by the caller), kib->MiB.
cell() {
  local key=$1 kind=$2 fmt=${3:-%.1f} w bad=0 n=0 why=
  local -a ok=()
  for w in ${RES[$key]:-}; do
    n=$((n + 1))
    if [[ $w == FAIL:* ]]; then bad=$((bad + 1)); why=${w#FAIL:}; else ok+=("$w"); fi
  done
  if ((n == 0)); then echo "n/a"; return; fi
  if ((bad)); then echo "FAIL $bad/$n ($why)"; return; fi
  printf '%s\n' "${ok[@]}" | awk -v kind="$kind" -v b="${BYTES:-0}" -v fmt="$fmt" "$AWK_SORT"'{
      v[NR] = (kind == "time") ? b / $1 / 1e9 : (kind == "kib") ? $1 / 1024 : $1 } END {
      n = isort(v, NR); m = med(v, n)
      if (n == 1) printf fmt "\n", m; else printf fmt " (" fmt "-" fmt ")\n", m, v[1], v[n] }'
}

# ratio KEY KIND [A B] -> median over runs of A / B (pxed / nginx) within the same run (runs are
# interleaved, so a run compares servers under the same background load). KIND time: B / A (speed).
ratio() {
  local key=$1 kind=$2 a=${3:-pxed} b=${4:-nginx}
  [[ -n ${RES[$key|$a]:-} && -n ${RES[$key|$b]:-} ]] || { echo "n/a"; return; }
  # A run where either failed has no ratio; the others still say something: "(k of n runs)".
  awk -v kind="$kind" -v px="${RES[$key|$a]}" -v ng="${RES[$key|$b]}" "$AWK_SORT"'BEGIN {
      np = split(px, p, " "); split(ng, q, " "); k = 0
      for (r = 1; r <= np; r++) {
        if (p[r] !~ /^[0-9.]+$/ || q[r] !~ /^[0-9.]+$/) continue
        r_[++k] = (kind == "time") ? q[r] / p[r] : p[r] / q[r]
      }
      if (k == 0) { print "n/a"; exit }
      if (k < np) printf "%.2fx (%d of %d runs)\n", med(r_, k), k, np; else printf "%.2fx\n", med(r_, k) }'
}

# max_cell KEY -> max over runs, KiB shown as MiB
max_cell() {
  local w v=0
  [[ -n ${RES[$1]:-} ]] || { echo "n/a"; return; }
  for w in ${RES[$1]}; do ((w > v)) && v=$w; done
  awk -v k="$v" 'BEGIN { printf "%.1f\n", k / 1024 }'
}

# growth_cell TAG SERVER -> max over runs of (peak RSS during the parallel downloads - RSS before)
growth_cell() {
  local t=$1 s=$2
  [[ -n ${RES[$t|rss0|$s]:-} ]] || { echo "n/a"; return; }
  awk -v a="${RES[$t|rss0|$s]}" -v b="${RES[$t|rsspeak|$s]}" 'BEGIN {
      n = split(a, x, " "); split(b, y, " "); m = -1e18
      for (i = 1; i <= n; i++) if (y[i] - x[i] > m) m = y[i] - x[i]
      printf "%+.1f\n", m / 1024 }'
}

server_label() {
  case $1 in
    pxed) echo "pxed (threads = 1)" ;;
    nginx) echo "nginx (worker_processes 1)" ;;
    pxed-auto) echo "pxed (threads = 0: $NCPU HTTP loops, unpinned)" ;;
    nginx-auto) echo "nginx (worker_processes auto = $NCPU, no access log, unpinned)" ;;
    nginx-debian) echo "nginx as Debian ships it (auto = $NCPU workers, access log, unpinned)" ;;
  esac
}

HAS_RATIO=0
HAS_AUTO_RATIO=0
HAS_DEBIAN_RATIO=0
table_header() {
  local cols=("$@") s line="|" sep="|" c
  for s in "${SERVER_LIST[@]}"; do cols+=("$(server_label "$s")"); done
  ((HAS_RATIO)) && cols+=("pxed / nginx (1 worker)")
  ((HAS_AUTO_RATIO)) && cols+=("pxed / nginx (both on every core)")
  ((HAS_DEBIAN_RATIO)) && cols+=("pxed (every core) / nginx as Debian ships it")
  for c in "${cols[@]}"; do line+=" $c |"; sep+="---|"; done
  echo "$line"; echo "$sep"
}

# row LABEL KEY KIND CELLFN ARGS... ; the ratios of KEY (ratio's KIND) appended when the table has
# their columns; KEY "" for a row without ratios
row() {
  local label=$1 key=$2 kind=$3; shift 3
  local s out="| $label |" r="" ra="" rd=""
  if [[ -n $key ]]; then
    r=$(ratio "$key" "$kind"); ra=$(ratio "$key" "$kind" pxed-auto nginx-auto)
    rd=$(ratio "$key" "$kind" pxed-auto nginx-debian)
  fi
  for s in "${SERVER_LIST[@]}"; do
    if alive "$s"; then out+=" $("$@" "$s") |"
    elif [[ $s == pxed* ]]; then out+=" pending (pxed not ready) |"
    else out+=" n/a (did not start) |"; fi
  done
  ((HAS_RATIO)) && out+=" $r |"
  ((HAS_AUTO_RATIO)) && out+=" $ra |"
  ((HAS_DEBIAN_RATIO)) && out+=" $rd |"
  echo "$out"
}
# c_* TAG SERVER -> one cell of the case TAG (small, isosmall; big, isobig)
c_rps() { cell "$1|rps|$2" num "%.0f"; }
c_p99() { cell "$1|p99|$2" num "%.2f"; }
c_big1() { BYTES=${BYTES_OF[$1]} cell "${1}1|$2" time "%.2f"; }
c_bigN() { BYTES=$((BYTES_OF[$1] * PARALLEL)) cell "${1}N|$2" time "%.2f"; }
c_rss0() { max_cell "$1|rss0|$2"; }
c_peak() { max_cell "$1|rsspeak|$2"; }
c_hwm() { max_cell "$1|hwm|$2"; }
c_growth() { growth_cell "$1" "$2"; }
c_sha() { echo "${VERIFIED[$1|$2]:-n/a}"; }

report() {
  [[ ",$SERVERS," == *,pxed,* && ",$SERVERS," == *,nginx,* ]] && alive pxed && alive nginx && HAS_RATIO=1
  [[ ",$SERVERS," == *,pxed-auto,* && ",$SERVERS," == *,nginx-auto,* ]] && alive pxed-auto && alive nginx-auto &&
    HAS_AUTO_RATIO=1
  [[ ",$SERVERS," == *,pxed-auto,* && ",$SERVERS," == *,nginx-debian,* ]] && alive pxed-auto && alive nginx-debian &&
    HAS_DEBIAN_RATIO=1
  echo "### HTTP benchmark ($(date -u +%Y-%m-%d), runs per case: $RUNS$( ((QUICK)) && echo ', --quick'))"
  echo
  echo "Machine: $NCPU vCPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), kernel $(uname -r);"
  echo "$("$NGINX_BIN" -v 2>&1 | sed 's/^nginx version: //'), $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2), $(curl --version | head -1 | cut -d' ' -f1-2)."
  ((NICE)) && echo "Servers and clients ran at nice $NICE, in their own scheduler autogroup at nice $NICE (the machine was busy with other work)."
  echo "Cells: median (min-max) of $RUNS run(s); GB/s = 10^9 bytes/s. Any error, non-2xx response or"
  echo "short download fails the cell. Ratio: median over runs of pxed / nginx (1 worker) within"
  echo "the run (higher is better, except p99 latency)."
  echo
  if want small; then
    echo "#### Small files: $SMALL_FILES x 4 KiB round-robin, wrk keep-alive, $WRK_CONNS connections, $WRK_THREADS thread, ${WRK_SECS} s; server CPU $SRV_CPU (*-auto, nginx-debian: all), wrk CPUs $WRK_CPUS"
    echo
    table_header metric
    small_rows small
    echo
  fi
  if want big; then
    echo "#### Big file: $BIG_MIB MiB, curl to /dev/null; server CPU $SRV_CPU (*-auto, nginx-debian: all), curls CPU $CLI_CPU"
    echo
    table_header metric
    big_rows big
    echo
    echo "RSS: VmRSS summed over the server's processes (nginx: master + workers), sampled every 0.1 s"
    echo "while the $PARALLEL downloads run; VmHWM is the process lifetime peak (the server is fresh for"
    echo "each case: it has served the sha256 check in run 1 and the single download before)."
    echo
  fi
  if want iso; then
    echo "#### Files inside an ISO image: pxed serves the image ([[files.mount]], no extraction), nginx an extracted copy"
    echo
    echo "Image built by \`xorriso -as mkisofs -R -J\`; nginx serves what \`xorriso -osirrox on -extract\`"
    echo "wrote (no iso9660 on this kernel, so no loop mount), at the same URLs. Big member: $BIG_MIB MiB,"
    echo "curl to /dev/null; small members: $SMALL_FILES x 4 KiB in /$ISO_DIR/, wrk as above"
    echo "($WRK_CONNS connections, ${WRK_SECS} s). A fresh server for each half."
    echo
    table_header metric
    big_rows isobig
    small_rows isosmall
    echo
  fi
}
small_rows() {
  row "requests/s" "$1|rps" num c_rps "$1"
  row "p99 latency, ms" "$1|p99" num c_p99 "$1"
}
big_rows() {
  row "sha256 of one download = source" "" "" c_sha "$1"
  row "1 curl, GB/s" "${1}1" time c_big1 "$1"
  row "$PARALLEL parallel curls, GB/s aggregate" "${1}N" time c_bigN "$1"
  row "RSS before the $PARALLEL downloads, MiB (max of runs)" "" "" c_rss0 "$1"
  row "peak RSS during them, MiB (max of runs)" "" "" c_peak "$1"
  row "growth (peak - before), MiB (max of runs)" "" "" c_growth "$1"
  row "VmHWM at their end, MiB (max of runs)" "" "" c_hwm "$1"
}

# ---------------------------------------------------------------- main
main() {
  parse_args "$@"
  set_profile
  ((EUID == 0)) || { echo "http.sh: needs root (network namespaces)" >&2; exit 1; }
  run_in_own_autogroup "$NICE" "${BASH_SOURCE[0]}" "$@"
  local tool s
  for tool in ip nsenter taskset timeout curl wrk sha256sum cmp ss; do
    command -v "$tool" >/dev/null || { echo "http.sh: missing $tool (scripts/setup installs it)" >&2; exit 1; }
  done
  if want iso; then
    command -v xorriso >/dev/null || { echo "http.sh: missing xorriso (scripts/setup installs it)" >&2; exit 1; }
  fi
  for s in "${SERVER_LIST[@]}"; do
    case $s in
      nginx|nginx-auto|nginx-debian) [[ -x $NGINX_BIN ]] || { echo "http.sh: missing $NGINX_BIN (nginx-light)" >&2; exit 1; } ;;
      pxed) [[ -x $PXED_BIN ]] || { log "pxed binary $PXED_BIN not found: its cells will read pending"; SERVER_DEAD[pxed]=1; } ;;
    esac
  done

  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  WORK=$(mktemp -d /dev/shm/pxbench.XXXXXX)   # tmpfs: the files are in memory for every server
  local started=$SECONDS
  log "work dir $WORK, servers: ${SERVER_LIST[*]}, runs: $RUNS"
  make_files
  setup_network
  if want small; then run_small small /small "$ROOT/small"; fi
  if want big; then run_big big /big.bin; fi
  if want iso; then
    run_big isobig /iso/big.bin
    run_small isosmall "/iso/$ISO_DIR" "$WORK/iso-src/$ISO_DIR"
  fi
  log "done in $((SECONDS - started)) s"
  report
}

# Sourcing the file (for debugging single functions) defines everything and runs nothing.
# exit on the same line: bash reads a script as it runs, so an edit to this file during a run
# must not be read after main returns.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then main "$@"; exit; fi
