#!/usr/bin/env bash
# bench/storm.sh — boot-storm benchmark (issue 16): N PXE machines powered on at once, the whole
# path (DHCP full mode, TFTP loader and pxelinux configs, HTTP kernel and initrd), against pxed and
# against the seed stack (dnsmasq full DHCP + its TFTP, nginx for HTTP), side by side in one run.
#
# The clients are bench/storm's pxed-storm (build/bench/storm/pxed-storm): one coroutine per
# machine, each with its own MAC, UUID (option 97), arch (option 93: BIOS 0 / UEFI 7, half each)
# and its own sockets. Every machine sits behind its own DHCP relay agent: pxed-storm binds the
# relay's address (giaddr, port 67) per machine, and after the ACK binds the leased address for
# TFTP and HTTP, as the booted machine would. All those addresses live in the client namespace,
# routed from the server namespace through one veth (the servers see a router, as a site with
# relays is built), so one box plays N machines each with its own source address and ports.
# Per machine: DISCOVER/OFFER/REQUEST/ACK with PXE 2.1's 4, 8, 16, 32 s retries; the loader over
# TFTP (BIOS: 512-byte lock-step; UEFI: EDK2's tsize probe, then blksize 1468, windowsize 4); the
# pxelinux config names in pxelinux's order until one exists (UUID, 01-MAC, hex address shortened,
# default: the misses are fetched too); then GET kernel and initrd on one keep-alive connection.
#
# Per N and server: wall time until every machine has its initrd, p50/p99 of each stage (dhcp,
# the OFFER and ACK answer times, loader, configs, kernel, initrd), failures and retries, the
# server side's CPU seconds and peak RSS (every process in the server's namespace: pxed; dnsmasq +
# nginx master and workers), and the leases in the server's store after kill -9. Servers run
# interleaved (for each N and run, each server in turn, fresh with an empty lease store); cells
# are the median of the runs; ratios are pxed / seed within the same runs.
#
# Seed stack, Debian's defaults where they matter: dnsmasq 2.90 with tftp-max 50 and
# dhcp-lease-max 1000 (its defaults; N above 1000 needs --dhcp-lease-max, which the script then
# raises and says so), its default logging to a file, its default ping check before an offer
# (the client namespace ignores ICMP echo, as free addresses on a LAN do); nginx 1.22 with
# Debian's nginx.conf values (worker_processes auto, worker_connections 768, sendfile, tcp_nopush,
# access log). seed-tuned: the same with --tftp-max=4096 --no-ping (what a site that met a storm
# writes). pxed: its defaults, except [dhcp] interface_bindings_per_second = 0 (default 200/s,
# which paces 1,000 new machines over ~5 s by design) and [http] max_connections = 4096
# (default 512, fewer than the machines).
#
# Safety: everything runs in namespaces this script creates (pxst-<pid>-*), on 10.246.0.0/16;
# nothing touches the host's interfaces. A trap tears down processes, namespaces and the work dir
# (in /var/tmp: leases go to a real disk) on exit, ^C or TERM.
#
# Usage: bench/storm.sh [--quick] [--runs N] [--clients 100,300,1000] [--servers pxed,seed,seed-tuned]
#                       [--case storm|tftp] [--bad netascii,slow-http,dhcp-flood]
#                       [--kernel-mib 8] [--initrd-mib 50] [--uefi-percent 50]
#   --servers pxed-proxy,seed-proxy  ProxyDHCP beside Kea (kea-dhcp4 hands out the addresses from
#             its own namespace): pxed in proxy mode, or dnsmasq in proxy mode (--pxe-service per
#             arch, tftp-max 4096) + nginx; each relay forwards DISCOVER and REQUEST to Kea and to
#             the proxy, as an ip-helper list does; UEFI machines (and BIOS ones offered a menu)
#             then ask the proxy's boot server on 4011. Leases counted in Kea's file.
#   --case tftp  the TFTP stage alone (no DHCP, no HTTP) against pxed, tftpd-hpa and dnsmasq's TFTP
#             (seed: tftp-max 50, seed-tuned: 4096), every server on the same tree
#   --bad KINDS  A/B: each server also meets the storm with one bad client beside its N good
#             machines (a second pxed-storm, --bad, bench/storm/bad.hpp; on the machines' CPU):
#             netascii (netascii RRQs of the initrd back to back, blksize 1468, window 8),
#             slow-http (one GET of the initrd read at 64 KiB/s through a 4 KiB receive buffer),
#             dhcp-flood (1,000 DISCOVERs/s from one MAC through one relay). Each is bounded by
#             the storm (ended with TERM when the machines are through) and its own count. The
#             columns are SERVER and SERVER+KIND, run in turn (order reversed every other run);
#             below each table the per-run ratios with / without for the wall time and each
#             stage's p50 and p99. Default servers with --bad: pxed,seed-tuned.
#   --quick   N=50, 256 KiB kernel, 1 MiB initrd, one run (~40 s with the three stacks), for CI:
#             exits 1 unless every pxed machine got its initrd
#   env PXED_BIN (default build/pxed), STORM_BIN (default build/bench/storm/pxed-storm),
#       PXBENCH_NICE (see lib.sh), PXBENCH_KEEP (a directory to copy each run's files to),
#       PXBENCH_SPREAD_MS (0: every machine powers on at the same instant; else their power-on
#       times spread evenly over this many ms, as POST times differ),
#       PXBENCH_LINK_RATE (unset: the veth has no line rate; else a tc rate such as 10gbit: each
#       server's link to the machines is held to it, a FIFO of 50 ms, as a switch port would)
# Progress goes to stderr, the markdown report to stdout. Needs root (namespaces).
set -euo pipefail

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO_DIR
PXED_BIN=${PXED_BIN:-$REPO_DIR/build/pxed}
STORM_BIN=${STORM_BIN:-$REPO_DIR/build/bench/storm/pxed-storm}
NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}
SERVERS=
RUNS=3
QUICK=0
CLIENTS=100,300,1000
KERNEL_MIB=8
INITRD_MIB=50
UEFI_PERCENT=50
CASE=storm
BAD=

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
}

parse_args() {
  local s
  while (($#)); do
    case $1 in
      --quick) QUICK=1 ;;
      --runs) RUNS=${2:?--runs needs a number}; shift ;;
      --clients) CLIENTS=${2:?--clients needs a list}; shift ;;
      --servers) SERVERS=${2:?--servers needs a list}; shift ;;
      --case) CASE=${2:?--case needs storm or tftp}; shift ;;
      --bad) BAD=${2:?--bad needs a list of netascii, slow-http, dhcp-flood}; shift ;;
      --kernel-mib) KERNEL_MIB=${2:?}; shift ;;
      --initrd-mib) INITRD_MIB=${2:?}; shift ;;
      --uefi-percent) UEFI_PERCENT=${2:?}; shift ;;
      -h|--help) usage; exit 0 ;;
      *) echo "storm.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
  done
  if ((QUICK)); then RUNS=1; CLIENTS=50; CASE=storm; BAD=; fi
  BAD_LIST=()
  [[ -n $BAD ]] && IFS=, read -ra BAD_LIST <<<"$BAD"
  for s in "${BAD_LIST[@]}"; do
    case $s in netascii|slow-http|dhcp-flood) ;;
      *) echo "storm.sh: --bad takes netascii, slow-http, dhcp-flood" >&2; exit 2 ;; esac
  done
  if ((${#BAD_LIST[@]})) && [[ $CASE != storm ]]; then echo "storm.sh: --bad is for --case storm" >&2; exit 2; fi
  case $CASE in
    storm) if ((${#BAD_LIST[@]})); then SERVERS=${SERVERS:-pxed,seed-tuned}; else SERVERS=${SERVERS:-pxed,seed,seed-tuned}; fi ;;
    tftp) SERVERS=${SERVERS:-pxed,tftpd-hpa,seed,seed-tuned} ;;
    *) echo "storm.sh: --case is storm or tftp" >&2; exit 2 ;;
  esac
  [[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "storm.sh: --runs must be a positive integer" >&2; exit 2; }
  IFS=, read -ra SERVER_LIST <<<"$SERVERS"
  IFS=, read -ra N_LIST <<<"$CLIENTS"
  for s in "${SERVER_LIST[@]}"; do
    case $CASE:$s in storm:pxed|storm:seed|storm:seed-tuned|storm:pxed-proxy|storm:seed-proxy|tftp:pxed|tftp:seed|tftp:seed-tuned|tftp:tftpd-hpa) ;;
      *) echo "storm.sh: server '$s' is not one of case $CASE's" >&2; exit 2 ;;
    esac
  done
  # The bad client is machine N (its MAC, its relay address): one past the last good one.
  local max=$MAX_CLIENTS
  ((${#BAD_LIST[@]})) && max=$((MAX_CLIENTS - 1))
  for s in "${N_LIST[@]}"; do
    if [[ ! $s =~ ^[1-9][0-9]*$ ]] || ((s > max)); then
      echo "storm.sh: clients must be 1..$max" >&2; exit 2
    fi
  done
  # The report's columns: each server alone, then with each bad client.
  TABLE_COLUMNS=()
  local k
  for s in "${SERVER_LIST[@]}"; do
    TABLE_COLUMNS+=("$s")
    for k in "${BAD_LIST[@]}"; do TABLE_COLUMNS+=("$s+$k"); done
  done
}

# ---------------------------------------------------------------- addresses
# 10.246.K.1 server K, 10.246.K.2 the client namespace's end of its veth. Machines: relay agents
# (giaddr) from 10.246.128.1, leased addresses from the pool 10.246.160.1-10.246.175.254: all in
# the DHCP subnet 10.246.128.0/17, all local addresses of the client namespace (on lo), routed
# from each server namespace via 10.246.K.2.
BENCH_NET=10.246
SUBNET=$BENCH_NET.128.0/17
NETMASK=255.255.128.0
RELAY_FIRST=$BENCH_NET.128.1
POOL_FIRST=$BENCH_NET.160.1
POOL_LAST=$BENCH_NET.175.254
MAX_CLIENTS=4000
# shellcheck source=bench/lib.sh
source "$REPO_DIR/bench/lib.sh"
server_index() {
  case $1 in seed) echo 1 ;; pxed) echo 2 ;; seed-tuned) echo 3 ;; tftpd-hpa) echo 4 ;;
    pxed-proxy) echo 5 ;; seed-proxy) echo 6 ;; kea) echo 7 ;; esac
}
KEA_BIN=${KEA_BIN:-/usr/sbin/kea-dhcp4}
KEA_PID=
is_proxy() { [[ $1 == *-proxy ]]; }

# start_kea DIR: the DHCP server the proxies stand beside, in its own namespace (port 67 is the
# proxy's in the server's), fresh lease file each step. dhcp-socket-type udp: every packet is
# relayed (unicast to port 67), the case Kea documents udp for; memfile with persist, as
# bench/dhcp.sh runs it; logging at WARN, but DHCP4_STARTED (INFO) to know it is up.
start_kea() {
  local dir=$1 ns
  ns=$(server_ns kea)
  kea_json "$dir" "$dir/kea.log" >"$dir/kea.json"
  KEA_PIDFILE_DIR=$dir KEA_LOCKFILE_DIR=$dir nsenter --net="/run/netns/$ns" taskset -c "$SRV_CPU" \
    "$KEA_BIN" -c "$dir/kea.json" >"$dir/kea.out" 2>&1 &
  KEA_PID=$!
  local deadline=$((SECONDS + 15))
  while ((SECONDS < deadline)); do
    kill -0 "$KEA_PID" 2>/dev/null || break
    grep -q DHCP4_STARTED "$dir/kea.log" 2>/dev/null && return 0
    sleep 0.05
  done
  log "kea-dhcp4 did not start within 15 s: $(tail -c 400 "$dir/kea.out" "$dir/kea.log" 2>/dev/null | tr '\n' ' ')"
  return 1
}
server_ns() { echo "pxst-$$-$1"; }
CLI_NS="pxst-$$-clients"

# Every relay and pool address on the client namespace's lo; each server routes the subnet to it.
setup_machines() {
  local s k batch=$WORK/addresses.batch i
  : >"$batch"
  for ((i = 0; i < MAX_CLIENTS; i++)); do
    echo "address add $BENCH_NET.$((128 + (i + 1) / 256)).$(((i + 1) % 256))/32 dev lo" >>"$batch"
  done
  for ((i = 0; i < 16 * 256 - 2; i++)); do
    echo "address add $BENCH_NET.$((160 + (i + 1) / 256)).$(((i + 1) % 256))/32 dev lo" >>"$batch"
  done
  # Addresses ending in .0 or .255 inside the /17 are plain host addresses: a server may lease them.
  ip -n "$CLI_NS" -batch "$batch"
  # Free addresses on a LAN do not answer a ping (dnsmasq pings before it offers one).
  in_ns "$CLI_NS" sysctl -qw net.ipv4.icmp_echo_ignore_all=1
  for s in "${SERVER_LIST[@]}"; do
    k=$(server_index "$s")
    ip -n "$(server_ns "$s")" route add "$SUBNET" via "$BENCH_NET.$k.2"
    # The server's sending side, where the bulk goes: a token bucket at the line rate.
    if [[ -n ${PXBENCH_LINK_RATE:-} ]]; then
      in_ns "$(server_ns "$s")" tc qdisc add dev srv root tbf rate "$PXBENCH_LINK_RATE" burst 1mb latency 50ms
    fi
  done
}

# ---------------------------------------------------------------- files
make_tree() {
  ROOT=$WORK/root
  mkdir -p "$ROOT/pxelinux.cfg" "$ROOT/storm"
  # The real loaders (Debian's pxelinux and syslinux-efi packages) for their sizes; random bytes
  # of the same sizes when they are not installed.
  if [[ -r /usr/lib/PXELINUX/lpxelinux.0 ]]; then cp /usr/lib/PXELINUX/lpxelinux.0 "$ROOT/"
  else head -c 75072 /dev/urandom >"$ROOT/lpxelinux.0"; fi
  if [[ -r /usr/lib/SYSLINUX.EFI/efi64/syslinux.efi ]]; then cp /usr/lib/SYSLINUX.EFI/efi64/syslinux.efi "$ROOT/"
  else head -c 171456 /dev/urandom >"$ROOT/syslinux.efi"; fi
  printf 'DEFAULT storm\nLABEL storm\n  KERNEL http://%s/storm/vmlinuz\n  INITRD http://%s/storm/initrd.img\n' \
    "$BENCH_NET.0.1" "$BENCH_NET.0.1" >"$ROOT/pxelinux.cfg/default"
  head -c "$KERNEL_BYTES" /dev/urandom >"$ROOT/storm/vmlinuz"
  head -c "$INITRD_BYTES" /dev/urandom >"$ROOT/storm/initrd.img"
  # pxed's tree: the same files (hard links), without pxelinux.cfg/: pxed writes each machine's
  # config itself (from [boot] default), and a user's pxelinux.cfg/default would win over it.
  ROOT_PXED=$WORK/root-pxed
  mkdir -p "$ROOT_PXED/storm"
  ln "$ROOT/lpxelinux.0" "$ROOT/syslinux.efi" "$ROOT_PXED/"
  ln "$ROOT/storm/vmlinuz" "$ROOT/storm/initrd.img" "$ROOT_PXED/storm/"
  chmod -R a+rX "$ROOT" "$ROOT_PXED"
}

# ---------------------------------------------------------------- servers
# start_server NAME DIR N: fresh server with an empty lease store, pinned to SRV_CPU; waits
# until it listens on 67 (UDP), 69 (UDP) and 80 (TCP).
start_server() {
  local s=$1 dir=$2 n=$3 ns ip k
  ns=$(server_ns "$s"); ip=$(server_ip "$s"); k=$(server_index "$s")
  mkdir -p "$dir"
  if [[ $CASE == tftp ]]; then
    start_tftp_server "$s" "$dir"
  else
  if is_proxy "$s"; then start_kea "$dir" || return 1; fi
  case $s in
    pxed|pxed-proxy)
      # Full mode hands out the addresses; proxy mode only the boot files, beside Kea.
      local dhcp_block='mode = "proxy"'
      if [[ $s == pxed ]]; then
        dhcp_block="mode = \"full\"
# Default 200/s paces new machines on purpose (a flood guard): 0 measures pxed unpaced.
interface_bindings_per_second = 0
[[dhcp.subnet]]
network = \"$SUBNET\"
range = [\"$POOL_FIRST\", \"$POOL_LAST\"]
lease_time = \"1h\""
      fi
      cat >"$dir/pxed.toml" <<EOF
[server]
interfaces = ["srv"]
state_dir = "$dir/state"
[files]
root = "$ROOT_PXED"
[tftp]
enabled = true
[http]
enabled = true
base_url = "http://$ip"
# Default 512: fewer than the machines of a storm.
max_connections = 4096
[dhcp]
$dhcp_block
[boot]
bios = "lpxelinux.0"
efi64 = "syslinux.efi"
default = "storm"
[[profile]]
name = "storm"
kernel = "/storm/vmlinuz"
initrd = "/storm/initrd.img"
EOF
      nsenter --net="/run/netns/$ns" taskset -c "$SRV_CPU" "$PXED_BIN" serve -c "$dir/pxed.toml" >"$dir/pxed.log" 2>&1 &
      SERVER_PIDS=($!)
      ;;
    seed|seed-tuned|seed-proxy)
      local extra=() dhcp=()
      ((n > 1000)) && extra=(--dhcp-lease-max="$n")
      # seed-tuned: what a site that has met a storm writes (tftp-max raised as one did to 4096;
      # no ping check before each offer).
      [[ $s == seed-tuned ]] && extra+=(--tftp-max=4096 --no-ping)
      # shellcheck disable=SC2054 # the commas are dnsmasq's
      dhcp=(--dhcp-range="$POOL_FIRST,$POOL_LAST,$NETMASK,1h" --dhcp-leasefile="$dir/dnsmasq.leases"
        --dhcp-match=set:efi64,option:client-arch,7 --dhcp-boot=tag:efi64,syslinux.efi --dhcp-boot=tag:!efi64,lpxelinux.0)
      # seed-proxy: dnsmasq's proxy mode takes its boot files from --pxe-service only (one item
      # per arch, by number: 0 BIOS, 7 EFI x86-64 as the machines send it; "lpxelinux" gets the
      # ROM's ".0"); tftp-max raised as seed-tuned's, so the TFTP limit is not what is measured.
      # shellcheck disable=SC2054
      [[ $s == seed-proxy ]] && dhcp=(--dhcp-range="${SUBNET%/*},proxy,$NETMASK"
        --pxe-service=0,storm,lpxelinux --pxe-service=7,storm,syslinux.efi --tftp-max=4096)
      nsenter --net="/run/netns/$ns" taskset -c "$SRV_CPU" dnsmasq --no-daemon --conf-file=/dev/null \
        --port=0 --interface=srv "${dhcp[@]}" "${extra[@]}" --enable-tftp --tftp-root="$ROOT" \
        --user=root --group=root --pid-file="$dir/dnsmasq.pid" --log-facility="$dir/dnsmasq.log" \
        >"$dir/dnsmasq.out" 2>&1 &
      SERVER_PIDS=($!)
      mkdir -p "$dir/nginx"
      # Debian 12's /etc/nginx/nginx.conf values that matter here; logs and temp files in $dir.
      cat >"$dir/nginx.conf" <<EOF
worker_processes auto;
pid $dir/nginx.pid;
error_log $dir/nginx/error.log;
events { worker_connections 768; }
http {
  sendfile on;
  tcp_nopush on;
  types_hash_max_size 2048;
  default_type application/octet-stream;
  keepalive_timeout 65;
  access_log $dir/nginx/access.log;
  client_body_temp_path $dir/nginx/body;
  proxy_temp_path $dir/nginx/proxy;
  fastcgi_temp_path $dir/nginx/fastcgi;
  uwsgi_temp_path $dir/nginx/uwsgi;
  scgi_temp_path $dir/nginx/scgi;
  server { listen $ip:80; root $ROOT; }
}
EOF
      nsenter --net="/run/netns/$ns" taskset -c "$SRV_CPU" "$NGINX_BIN" -e "$dir/nginx/error.log" \
        -g 'daemon off; master_process on;' -c "$dir/nginx.conf" >"$dir/nginx.out" 2>&1 &
      SERVER_PIDS+=($!)
      ;;
  esac
  fi
  local deadline=$((SECONDS + 15)) pid alive
  while ((SECONDS < deadline)); do
    alive=1
    for pid in "${SERVER_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null || alive=0; done
    ((alive)) || break
    if [[ -n $(in_ns "$ns" ss -Hlun "sport = :69") ]] &&
       [[ $CASE == tftp || ( -n $(in_ns "$ns" ss -Hlun "sport = :67") && -n $(in_ns "$ns" ss -Hltn "sport = :80") ) ]]; then
      return 0
    fi
    sleep 0.05
  done
  log "$s did not start serving within 15 s: $(tail -c 400 "$dir"/*.log "$dir"/*.out 2>/dev/null | tr '\n' ' ')"
  return 1
}

# start_tftp_server NAME DIR: case tftp, TFTP only, every server on the same tree (with
# pxelinux.cfg/default: pxed writes no configs here, it has no [boot]). tftpd-hpa with Debian's
# /etc/default/tftpd-hpa options (--secure); dnsmasq as in the storm without DHCP and nginx.
start_tftp_server() {
  local s=$1 dir=$2 ns ip
  ns=$(server_ns "$s"); ip=$(server_ip "$s")
  case $s in
    pxed)
      cat >"$dir/pxed.toml" <<EOF
[server]
state_dir = "$dir/state"
[files]
root = "$ROOT"
[tftp]
enabled = true
EOF
      nsenter --net="/run/netns/$ns" taskset -c "$SRV_CPU" "$PXED_BIN" serve -c "$dir/pxed.toml" >"$dir/pxed.log" 2>&1 &
      ;;
    seed|seed-tuned)
      local extra=()
      [[ $s == seed-tuned ]] && extra=(--tftp-max=4096)
      nsenter --net="/run/netns/$ns" taskset -c "$SRV_CPU" dnsmasq --no-daemon --conf-file=/dev/null \
        --port=0 --interface=srv --enable-tftp --tftp-root="$ROOT" "${extra[@]}" \
        --user=root --group=root --pid-file="$dir/dnsmasq.pid" --log-facility="$dir/dnsmasq.log" \
        >"$dir/dnsmasq.out" 2>&1 &
      ;;
    tftpd-hpa)
      nsenter --net="/run/netns/$ns" taskset -c "$SRV_CPU" /usr/sbin/in.tftpd --foreground --listen \
        --address "$ip:69" --secure "$ROOT" >"$dir/tftpd-hpa.log" 2>&1 &
      ;;
  esac
  SERVER_PIDS=($!)
}

# server_usage NAME -> "cpu_seconds peak_rss_kib" summed over every process in its namespace.
server_usage() { ns_usage "$(server_ns "$1")"; }

# kill -9 everything in the server's namespace (the lease check wants no graceful flush), and
# the Kea beside a proxy.
kill_server() {
  local ns p spaces
  spaces=("$(server_ns "$1")")
  is_proxy "$1" && spaces+=("$(server_ns kea)")
  for ns in "${spaces[@]}"; do
    for p in $(ip netns pids "$ns"); do kill -KILL "$p" 2>/dev/null || true; done
  done
  for p in "${SERVER_PIDS[@]}" $KEA_PID; do wait "$p" 2>/dev/null || true; done
  KEA_PID=
  local deadline=$((SECONDS + 5))
  ns=$(server_ns "$1")
  while [[ -n $(ip netns pids "$ns") ]] && ((SECONDS < deadline)); do sleep 0.05; done
}

# Bound leases in the server's own store after kill -9.
leases_in_store() {
  local s=$1 dir=$2
  case $s in
    pxed) /usr/bin/python3 -c '
import sqlite3, sys, time
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
print(db.execute("SELECT count(*) FROM leases WHERE state = 1 AND expires > ?", (int(time.time()),)).fetchone()[0])' \
      "$dir/state/leases.sqlite3" 2>/dev/null || echo 0 ;;
    *-proxy) if [[ -r $dir/kea-leases4.csv ]]; then tail -n +2 "$dir/kea-leases4.csv" | cut -d, -f1 | sort -u | wc -l; else echo 0; fi ;;
    seed*) if [[ -r $dir/dnsmasq.leases ]]; then wc -l <"$dir/dnsmasq.leases"; else echo 0; fi ;;
  esac
}

# ---------------------------------------------------------------- results
declare -A RES=()
record() { RES[$1]="${RES[$1]:+${RES[$1]} }$2"; }
res() { echo "${RES[$1]:-}"; }
PROBLEMS=()
QUICK_FAIL=

# ns_usage NAMESPACE -> "cpu_seconds peak_rss_kib" summed over every process in it.
ns_usage() {
  local pid cpu=0 rss=0 c r hz
  hz=$(getconf CLK_TCK)
  for pid in $(ip netns pids "$1"); do
    c=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat" 2>/dev/null || echo 0)
    r=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
    cpu=$((cpu + ${c:-0})); rss=$((rss + ${r:-0}))
  done
  awk -v c="$cpu" -v hz="$hz" -v r="$rss" 'BEGIN { printf "%.2f %d\n", c / hz, r }'
}

# step COLUMN N RUN: one storm against a fresh server; COLUMN is SERVER or SERVER+BADKIND.
step() {
  local col=$1 n=$2 run=$3 dir out ip rc=0 s bad=
  s=${col%%+*}; [[ $col == *+* ]] && bad=${col#*+}
  dir=$WORK/$col-$n-$run; out=$dir/storm.out; ip=$(server_ip "$s")
  if ! start_server "$s" "$dir" "$n"; then
    record "done|$n|$col" NOSTART
    PROBLEMS+=("- N=$n run $run: $col did not start")
    [[ $col == pxed ]] && QUICK_FAIL+="pxed did not start. "
    kill_server "$s"
    return
  fi
  local bad_pid=
  if [[ -n $bad ]]; then
    # The bad client is a machine of its own; here it shares the machines' CPU at nice 19, so
    # it takes only the CPU the machines' pxed-storm leaves (its own load on that CPU would
    # otherwise slow the good machines from the client side). Bounded by the storm's deadline
    # and ended with TERM when the machines are through; a second's head start so the machines
    # meet it going. nsenter, nice, taskset and timeout exec each other: $! is timeout, which
    # passes TERM on.
    nsenter --net="/run/netns/$CLI_NS" nice -n 19 taskset -c "$CLI_CPU" timeout "$STEP_CAP" "$STORM_BIN" --bad "$bad" --bad-seconds "$DEADLINE" \
      --clients "$n" --server "$ip" --relay-first "$RELAY_FIRST" --initrd /storm/initrd.img \
      >"$dir/bad.out" 2>"$dir/bad.err" &
    bad_pid=$!
    sleep 1
  fi
  local cpu0 _
  # CPU from here on is the storm's; peak RSS (VmHWM) counts from the server's start.
  read -r cpu0 _ < <(server_usage "$s")
  local only=() dhcp_server=$ip
  [[ $CASE == tftp ]] && only=(--tftp-only --pool-first "$POOL_FIRST")
  # Beside Kea: the relays forward to Kea and to the proxy; HTTP from the proxy's stack.
  is_proxy "$s" && only=(--proxy "$ip" --http "$ip") && dhcp_server=$(server_ip kea)
  in_ns "$CLI_NS" taskset -c "$CLI_CPU" timeout "$STEP_CAP" "$STORM_BIN" "${only[@]}" --clients "$n" --server "$dhcp_server" \
    --relay-first "$RELAY_FIRST" --kernel /storm/vmlinuz --initrd /storm/initrd.img \
    --uefi-percent "$UEFI_PERCENT" --spread-ms "${PXBENCH_SPREAD_MS:-0}" --deadline-s "$DEADLINE" --csv "$dir/machines.csv" >"$out" 2>"$dir/storm.err" || rc=$?
  local cpu1 rss1
  read -r cpu1 rss1 < <(server_usage "$s")
  if [[ -n $bad_pid ]]; then
    # The machines are through: what is left in their namespace is the bad client.
    local bad_cpu
    read -r bad_cpu _ < <(ns_usage "$CLI_NS")
    kill -TERM "$bad_pid" 2>/dev/null || true
    wait "$bad_pid" 2>/dev/null || true
    local bline; bline=$(grep -m1 '^bad ' "$dir/bad.out" || true)
    if [[ -z $bline ]]; then
      PROBLEMS+=("- N=$n run $run: the $bad client against $s said nothing: $(tail -c 300 "$dir/bad.err" | tr '\n' ' ')")
    else
      local kv2 key2 val2
      kv2=$(awk '{ for (i = 3; i <= NF; i++) { split($i, a, "="); if (a[1] != "first_error") print a[1] "=" a[2] } }' <<<"$bline")
      while IFS='=' read -r key2 val2; do [[ -n $key2 ]] && record "bad_$key2|$n|$col" "$val2"; done <<<"$kv2"
      [[ $bline == *'first_error=""'* ]] || PROBLEMS+=("- N=$n run $run: the $bad client against $s: ${bline#*errors=}")
    fi
    record "bad_cpu|$n|$col" "$bad_cpu"
  fi
  local alive=1 pid
  for pid in "${SERVER_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null || alive=0; done
  kill_server "$s"
  local leases=—
  [[ $CASE == storm ]] && leases=$(leases_in_store "$s" "$dir")
  ((alive)) || PROBLEMS+=("- N=$n run $run: **$col exited during the storm**")
  if ((rc != 0 && rc != 1)); then PROBLEMS+=("- N=$n run $run: pxed-storm against $col exited $rc: $(tail -c 300 "$dir/storm.err" | tr '\n' ' ')"); fi
  # pxed-storm's report: "storm ... done= failed= wall_ms=", "stage name= p50_ms= p99_ms=", "counts ...".
  local kv; kv=$(awk '
    /^storm / || /^counts / { for (i = 2; i <= NF; i++) { split($i, a, "="); print a[1] "=" a[2] } }
    /^stage / { split($2, nm, "="); for (i = 3; i <= NF; i++) { split($i, a, "="); print nm[2] "_" a[1] "=" a[2] } }
  ' "$out")
  local key val
  while IFS='=' read -r key val; do
    [[ -n $key ]] && record "$key|$n|$col" "$val"
  done <<<"$kv"
  record "cpu|$n|$col" "$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.2f", b - a }')"
  record "rss|$n|$col" "$(awk -v r="$rss1" 'BEGIN { printf "%.1f", r / 1024 }')"
  [[ $CASE == storm ]] && record "leases|$n|$col" "$leases"
  local failed; failed=$(awk '/^storm / { for (i = 2; i <= NF; i++) if ($i ~ /^failed=/) { sub(/failed=/, "", $i); print $i } }' "$out")
  if [[ ${failed:-x} != 0 ]]; then
    PROBLEMS+=("- N=$n run $run: $col: ${failed:-?} machines did not finish: $(grep '^failure' "$out" | tr '\n' ';')")
    [[ $col == pxed ]] && QUICK_FAIL+="pxed: ${failed:-?} of $n machines did not finish. "
  fi
  log "  N=$n run $run $col: $(head -1 "$out" 2>/dev/null) cpu $(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.2f", b - a }') s rss $((rss1 / 1024)) MiB, leases in store $leases$( ((alive)) || echo ', SERVER EXITED')$([[ -n $bad ]] && echo "; $(grep -m1 '^bad ' "$dir/bad.out" 2>/dev/null)")"
  [[ -n ${PXBENCH_KEEP:-} ]] && mkdir -p "$PXBENCH_KEEP" && cp -r "$dir" "$PXBENCH_KEEP/"
  return 0
}

# ---------------------------------------------------------------- formatting
AWK_SORT='function isort(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]
  for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }; return n }
'
median_of() {
  awk -v w="$1" "$AWK_SORT"'BEGIN { n = split(w, a, " "); k = 0
      for (i = 1; i <= n; i++) if (a[i] ~ /^-?[0-9.]+$/) v[++k] = a[i] + 0
      if (k == 0) exit
      isort(v, k); print (k % 2) ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2 }'
}
# cell KEY FMT [SCALE] -> "median (min-max)" of the runs' values divided by SCALE.
cell() {
  local words=$1 fmt=${2:-%.0f} scale=${3:-1}
  [[ -z $words ]] && { echo "—"; return; }
  awk -v w="$words" -v fmt="$fmt" -v sc="$scale" "$AWK_SORT"'BEGIN {
      n = split(w, a, " "); k = 0; bad = ""
      for (i = 1; i <= n; i++) { if (a[i] ~ /^-?[0-9.]+$/) v[++k] = a[i] / sc; else bad = a[i] }
      if (k == 0) { print tolower(bad); exit }
      isort(v, k)
      m = (k % 2) ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
      s = sprintf(fmt, m)
      if (k > 1) s = s " (" sprintf(fmt, v[1]) "-" sprintf(fmt, v[k]) ")"
      print s }'
}

report() {
  if [[ $CASE == tftp ]]; then
    echo "### TFTP-only storm ($(date -u '+%Y-%m-%d %H:%M') UTC, runs: $RUNS)"
    echo
    echo "Machine: $NCPU vCPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), kernel $(uname -r), load average at the end $(cut -d' ' -f1-3 /proc/loadavg)."
    echo "Servers on CPU $SRV_CPU, pxed-storm on CPU $CLI_CPU. pxed: $("$PXED_BIN" --version 2>/dev/null | head -1) (TFTP only, its defaults); tftpd-hpa $(dpkg-query -W -f '${Version}' tftpd-hpa 2>/dev/null) (--secure, Debian's);"
    echo "seed: $(dnsmasq -v | head -1 | cut -d' ' -f1-3 | sed 's/ version//') TFTP (tftp-max 50, its default); seed-tuned: tftp-max 4096. No DHCP, no HTTP: machine i has address $POOL_FIRST + i,"
    echo "fetches its loader (BIOS, $((100 - UEFI_PERCENT))%: lpxelinux.0 at 512 lock-step; UEFI: tsize probe, then syslinux.efi at 1468 window 4), then pxelinux's config names until"
    echo "pxelinux.cfg/default (10 misses). Power-on $( ((${PXBENCH_SPREAD_MS:-0})) && echo "spread over ${PXBENCH_SPREAD_MS} ms" || echo "all at the same instant"). Cells: median (min-max) of $RUNS run(s)."
    echo
  else
  echo "### Boot storm ($(date -u '+%Y-%m-%d %H:%M') UTC, runs: $RUNS$( ((QUICK)) && echo ', --quick'))"
  echo
  echo "Machine: $NCPU vCPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), kernel $(uname -r), load average at the end $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Servers on CPU $SRV_CPU (nginx's workers too), pxed-storm on CPU $CLI_CPU; server link: ${PXBENCH_LINK_RATE:-no line rate (veth)}. pxed: $("$PXED_BIN" --version 2>/dev/null | head -1);"
  echo "seed: $(dnsmasq -v | head -1 | cut -d' ' -f1-3 | sed 's/ version//') (tftp-max 50, lease-max 1000, ping check: its defaults) + nginx $("$NGINX_BIN" -v 2>&1 | sed 's/.*nginx\///') (Debian's nginx.conf values)."
  echo "Each machine: DHCP (relayed, PXE options, $UEFI_PERCENT% UEFI arch 7, the rest BIOS arch 0), TFTP loader (lpxelinux.0 $(stat -c %s "$ROOT/lpxelinux.0") B at 512 lock-step / syslinux.efi $(stat -c %s "$ROOT/syslinux.efi") B at 1468 window 4 after a tsize probe),"
  echo "power-on $( ((${PXBENCH_SPREAD_MS:-0})) && echo "spread over ${PXBENCH_SPREAD_MS} ms" || echo "all at the same instant"), pxelinux config lookups until a hit, HTTP kernel $(awk -v b="$KERNEL_BYTES" 'BEGIN { printf "%g", b / 1048576 }') MiB + initrd $(awk -v b="$INITRD_BYTES" 'BEGIN { printf "%g", b / 1048576 }') MiB on one keep-alive connection. Cells: median (min-max) of $RUNS run(s)."
  ((${#BAD_LIST[@]})) && echo "Bad clients (one per +KIND column, machine N's MAC and relay address, a second pxed-storm on CPU $CLI_CPU at nice 19 started 1 s before the machines and ended when they are through): netascii = netascii RRQs of storm/initrd.img back to back (blksize 1468, windowsize 8, tsize asked); slow-http = one GET of /storm/initrd.img read at 64 KiB/s through a 4 KiB receive buffer; dhcp-flood = 1,000 DISCOVERs/s from one MAC (new xid each) through one relay."
  echo
  fi
  local n s line
  for n in "${N_LIST[@]}"; do
    echo "#### N = $n machines at once"; echo
    line="| |"; for s in "${TABLE_COLUMNS[@]}"; do line+=" $s |"; done; echo "$line"
    line="|---|"; for s in "${TABLE_COLUMNS[@]}"; do line+="---|"; done; echo "$line"
    row() {  # row LABEL KEY FMT [SCALE]
      local l="| $1 |"
      for s in "${TABLE_COLUMNS[@]}"; do l+=" $(cell "$(res "$2|$n|$s")" "$3" "${4:-1}") |"; done
      echo "$l"
    }
    local stages=(dhcp offer ack loader config kernel initrd total) last="its initrd" beside="" kea=""
    if [[ " ${SERVER_LIST[*]}" == *-proxy* ]]; then
      stages=(dhcp offer proxy ack bootsrv loader config kernel initrd total)
      beside=", and 4011 beside Kea"; kea=" (Kea beside a proxy)"
    fi
    [[ $CASE == tftp ]] && stages=(loader config total) && last="its config"
    row "wall time until every machine has $last, s" wall_ms "%.2f" 1000
    row "machines done" "done" "%.0f"
    row "machines failed" failed "%.0f"
    local st
    for st in "${stages[@]}"; do
      local label
      case $st in
        dhcp) label="DHCP (first DISCOVER to ACK$beside)" ;;
        offer) label="OFFER answer time$kea" ;;
        ack) label="ACK answer time" ;;
        proxy) label="ProxyDHCP OFFER answer time" ;; bootsrv) label="boot server (4011) ACK answer time" ;;
        loader) label="TFTP loader" ;; config) label="pxelinux config lookups" ;; kernel) label="HTTP kernel" ;;
        initrd) label="HTTP initrd" ;; total) label="power-on to $last" ;;
      esac
      row "$label p50, ms" "${st}_p50_ms" "%.1f"
      row "$label p99, ms" "${st}_p99_ms" "%.1f"
    done
    if [[ $CASE == storm ]]; then
      row "DISCOVERs resent (firmware timers)" dhcp_discover_retries "%.0f"
      row "REQUESTs resent" dhcp_request_retries "%.0f"
      row "NAKs (the machine starts over with a DISCOVER)" dhcp_naks "%.0f"
    fi
    row "TFTP packets resent by the machines" tftp_retransmits "%.0f"
    row "config names asked (misses)" config_lookups "%.0f"
    row "config misses" config_misses "%.0f"
    row "server CPU seconds (all its processes)" cpu "%.2f"
    row "server peak RSS, MiB (sum of its processes' VmHWM)" rss "%.1f"
    [[ $CASE == storm ]] && row "bound leases in the store after kill -9" leases "%.0f"
    if ((${#BAD_LIST[@]})); then
      row "bad client: DISCOVERs / RRQs / GETs sent" bad_sent "%.0f"
      row "bad client: OFFERs / transfers done / bodies begun" bad_answers "%.0f"
      row "bad client: bytes received, MiB" bad_bytes "%.1f" 1048576
      row "bad client: errors (refusals, timeouts, closes)" bad_errors "%.0f"
      row "bad client: its own CPU seconds (on the machines' CPU)" bad_cpu "%.2f"
    fi
    echo
    ((${#BAD_LIST[@]})) && ab_lines "$n"
    local seed
    for seed in "${SERVER_LIST[@]}"; do
      [[ $seed != pxed && " ${SERVER_LIST[*]} " == *" pxed "* ]] || continue
      local ratios="" run p q
      for ((run = 1; run <= RUNS; run++)); do
        p=$(nth "$(res "wall_ms|$n|pxed")" "$run"); q=$(nth "$(res "wall_ms|$n|$seed")" "$run")
        # A run where a server left machines unfinished has no wall time to compare.
        [[ $(nth "$(res "failed|$n|pxed")" "$run") == 0 && $(nth "$(res "failed|$n|$seed")" "$run") == 0 ]] || continue
        if [[ $p =~ ^[0-9.]+$ && $q =~ ^[0-9.]+$ ]] && awk -v q="$q" 'BEGIN { exit !(q > 0) }'; then
          ratios+="$(awk -v a="$p" -v b="$q" 'BEGIN { printf "%.2f", a / b }') "
        fi
      done
      local median="no run where both finished every machine"
      [[ -n $ratios ]] && median="median $(median_of "$ratios")"
      echo "Wall time pxed / $seed, per run: ${ratios:-n/a} ($median$([[ $CASE == storm ]] && echo "; issue 16's target at 1,000 against the seed stack: <= 0.5"))."
      echo
    done
  done
  if ((${#PROBLEMS[@]})); then
    echo "#### Problems seen"; echo
    printf '%s\n' "${PROBLEMS[@]}"
    echo
  fi
  if ((QUICK)); then
    if [[ -n $QUICK_FAIL ]]; then echo "**quick check FAILED:** $QUICK_FAIL"; else echo "quick check passed: every pxed machine got its initrd."; fi
  fi
}
nth() { local -a w; read -ra w <<<"$1"; echo "${w[$2 - 1]:-}"; }

# ab_lines N: for each server and bad client, the per-run ratios with / without it (the same
# run's pair, so both met the same load), median over the runs: the wall time and each stage's
# p50 and p99. 1.00 is "costs nothing"; a run where either left machines unfinished is left out.
ab_lines() {
  local n=$1 s k key run a b ratios out
  for s in "${SERVER_LIST[@]}"; do
    for k in "${BAD_LIST[@]}"; do
      out=""
      for key in wall_ms dhcp_p50_ms dhcp_p99_ms loader_p50_ms loader_p99_ms config_p99_ms kernel_p99_ms \
                 initrd_p50_ms initrd_p99_ms total_p50_ms total_p99_ms cpu; do
        ratios=""
        for ((run = 1; run <= RUNS; run++)); do
          [[ $(nth "$(res "failed|$n|$s")" "$run") == 0 && $(nth "$(res "failed|$n|$s+$k")" "$run") == 0 ]] || continue
          a=$(nth "$(res "$key|$n|$s")" "$run"); b=$(nth "$(res "$key|$n|$s+$k")" "$run")
          if [[ $a =~ ^[0-9.]+$ && $b =~ ^[0-9.]+$ ]] && awk -v a="$a" 'BEGIN { exit !(a > 0) }'; then
            ratios+="$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b / a }') "
          fi
        done
        [[ -n $ratios ]] && out+="${key%_ms}$([[ $key == cpu ]] && echo ' (server CPU s)') $(median_of "$ratios" | awk '{ printf "%.2f", $1 }') [${ratios% }]; "
      done
      echo "With / without $k, $s (median of per-run ratios [each run]): ${out:-no run where both finished every machine}"
      echo
    done
  done
}

# ---------------------------------------------------------------- main
main() {
  parse_args "$@"
  ((EUID == 0)) || { echo "storm.sh: needs root (network namespaces)" >&2; exit 1; }
  run_in_own_autogroup "${PXBENCH_NICE:-0}" "${BASH_SOURCE[0]}" "$@"
  local tool
  for tool in ip nsenter taskset timeout ss awk tc dnsmasq "$NGINX_BIN" /usr/bin/python3; do
    command -v "$tool" >/dev/null || { echo "storm.sh: missing $tool" >&2; exit 1; }
  done
  [[ -x $PXED_BIN ]] || { echo "storm.sh: pxed binary $PXED_BIN not found (set PXED_BIN)" >&2; exit 1; }
  [[ -x $STORM_BIN ]] || { echo "storm.sh: $STORM_BIN not found: ninja -C build pxed-storm (or set STORM_BIN)" >&2; exit 1; }
  NCPU=$(nproc)
  if ((NCPU >= 2)); then SRV_CPU=0; CLI_CPU=1; else SRV_CPU=0; CLI_CPU=0; fi
  if ((QUICK)); then KERNEL_BYTES=262144; INITRD_BYTES=1048576; else
    KERNEL_BYTES=$((KERNEL_MIB * 1048576)); INITRD_BYTES=$((INITRD_MIB * 1048576)); fi
  # pxed-storm stops at DEADLINE and counts unfinished machines as failed; STEP_CAP is the
  # backstop for a stuck tool.
  if ((QUICK)); then DEADLINE=40; else DEADLINE=600; fi
  STEP_CAP=$((DEADLINE + 30))
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  WORK=$(mktemp -d /var/tmp/pxst.XXXXXX)
  chmod 755 "$WORK"  # nginx's workers (www-data) read the tree inside it
  local started=$SECONDS
  log "work dir $WORK, servers: ${TABLE_COLUMNS[*]}, N: ${N_LIST[*]}, runs: $RUNS"
  # Kea, when a proxy stands beside it: one more namespace and route, not a column.
  local listed=("${SERVER_LIST[@]}")
  [[ " ${SERVER_LIST[*]}" == *-proxy* ]] && SERVER_LIST+=(kea)
  setup_network
  setup_machines
  SERVER_LIST=("${listed[@]}")
  make_tree
  local n run s
  for n in "${N_LIST[@]}"; do
    for ((run = 1; run <= RUNS; run++)); do
      # Columns in turn; with --bad, the order is reversed every other run so neither side of
      # an A/B pair always goes first (the load of the others' compilers drifts).
      local order=("${TABLE_COLUMNS[@]}") i
      if ((${#BAD_LIST[@]} && run % 2 == 0)); then
        order=(); for ((i = ${#TABLE_COLUMNS[@]} - 1; i >= 0; i--)); do order+=("${TABLE_COLUMNS[$i]}"); done
      fi
      for s in "${order[@]}"; do step "$s" "$n" "$run"; done
    done
  done
  log "done in $((SECONDS - started)) s"
  report
  if ((QUICK)) && [[ -n $QUICK_FAIL ]]; then log "quick check failed: $QUICK_FAIL"; exit 1; fi
  return 0
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then main "$@"; exit; fi
