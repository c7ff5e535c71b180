#!/usr/bin/env bash
# bench/dhcp.sh — DHCP benchmark: pxed (full mode) against Kea (kea-dhcp4, memfile) and dnsmasq,
# side by side, in one run, driven by perfdhcp (kea-admin).
#
# Case "sweep": full DORA exchanges (DISCOVER-OFFER-REQUEST-ACK) at rising offered rates, each
# step a fresh server with an empty lease store, perfdhcp -r RATE for PERIOD seconds with many
# clients (-R) against a /16 pool. Per step: completed DORA/s (ACKs / period), DISCOVERs actually
# sent per second, lost exchanges (perfdhcp's sent vs received counts for DISCOVER-OFFER and
# REQUEST-ACK), median and p99 latency of each exchange (computed from perfdhcp's per-packet
# timestamps, -x t: perfdhcp itself prints only min/avg/max), datagrams the kernel dropped at
# the server's or at perfdhcp's full socket buffer (who did not keep up), and the server's CPU
# time per completed DORA. The saturation rate is the highest offered rate with < 1% of the
# exchanges lost (every lower rate also < 1%) that perfdhcp managed to send (>= 95% of it).
# Case "held": the same steps (rates up to 10,000/s) with the lease store pre-filled before the
# server starts: PXBENCH_HELD (10,000) bound leases of other clients on the lowest addresses of
# the pool, as a server that has been running for a while holds them.
# Durability: every step ends with kill -9 of the server; then each server's own lease store
# (pxed: SQLite, Kea: memfile CSV, dnsmasq: its lease file) is read and every address perfdhcp
# saw ACKed (-x l) must be in it, bound to the client it was ACKed to. Servers run interleaved:
# for each run, case and rate, every server in turn, so drift hits all alike.
#
# Safety: every server runs in a network namespace this script creates (pxbench-<pid>-<server>);
# perfdhcp runs in another namespace joined to each server namespace by a veth pair on
# 10.245.K.0/24. perfdhcp acts as a relay (giaddr = its veth address, unicast to port 67), so
# the servers hand out addresses from 10.245.0.0/16 to simulated clients only. No DHCP packet
# touches the host's interfaces. A trap tears down processes, namespaces and the temp dir (in
# /var/tmp: leases go to a real disk, as they would in production) on exit, ^C or TERM.
#
# Usage: bench/dhcp.sh [--quick] [--runs N] [--servers pxed,kea,dnsmasq] [--cases sweep,held]
#                      [--rates 1000,2000,5000,...]
#   --quick   one 5 s sweep step at 1000/s per server (< 60 s), for CI: exits 1 when pxed's ACKs are
#             fewer than 90% of the DISCOVERs perfdhcp sent, or an ACKed lease is not durable
#   env PXED_BIN (default build/pxed of this repository), PXBENCH_* (see set_profile)
# Progress goes to stderr, the markdown report to stdout. Needs root (namespaces).
set -euo pipefail

# ---------------------------------------------------------------- settings
REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO_DIR
PXED_BIN=${PXED_BIN:-$REPO_DIR/build/pxed}
PERFDHCP=${PERFDHCP:-/usr/sbin/perfdhcp}
KEA_BIN=${KEA_BIN:-/usr/sbin/kea-dhcp4}
SERVERS=pxed,kea,dnsmasq
RUNS=3
QUICK=0
CASES=sweep,held
RATES=

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
      --rates) RATES=${2:?--rates needs a list}; shift ;;
      --rates=*) RATES=${1#*=} ;;
      -h|--help) usage; exit 0 ;;
      *) echo "dhcp.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
  done
  [[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "dhcp.sh: --runs must be a positive integer" >&2; exit 2; }
  local s
  IFS=, read -ra SERVER_LIST <<<"$SERVERS"
  for s in "${SERVER_LIST[@]}"; do
    case $s in pxed|kea|dnsmasq) ;; *) echo "dhcp.sh: unknown server '$s'" >&2; exit 2 ;; esac
  done
  IFS=, read -ra CASE_LIST <<<"$CASES"
  for s in "${CASE_LIST[@]}"; do
    case $s in sweep|held) ;; *) echo "dhcp.sh: unknown case '$s'" >&2; exit 2 ;; esac
  done
  if [[ -n $RATES ]]; then
    IFS=, read -ra RATE_LIST <<<"$RATES"
    for s in "${RATE_LIST[@]}"; do
      [[ $s =~ ^[1-9][0-9]*$ ]] || { echo "dhcp.sh: rate '$s' is not a positive integer" >&2; exit 2; }
    done
  fi
}

# Sizes. PXBENCH_* override the full-mode defaults:
#   PXBENCH_PERIOD (6)        seconds perfdhcp offers each rate (-p)
#   PXBENCH_CLIENTS (50000)   simulated clients (-R), each its own MAC; the pool holds 61438
#   PXBENCH_HELD (10000)      leases of other clients in the store before a "held" step starts
#   PXBENCH_NICE (0)          when not 0, the benchmark runs in its own session (a new scheduler
#                             autogroup) with that autogroup nice value, e.g. -10: see
#                             run_in_own_autogroup in lib.sh for why plain nice does nothing here
#   PXBENCH_KEEP (unset)      a directory to copy every step's files to (perfdhcp output, server
#                             log, config and lease store), for debugging
#   PXBENCH_PERF (unset)      servers to profile, e.g. "pxed": perf record -g on the server during
#                             each of its steps; perf report lands in the step's directory
#                             (see PXBENCH_KEEP)
#   PXBENCH_CLIENT_RCVBUF (unset) bytes: give perfdhcp's UDP socket this receive buffer (an
#                             LD_PRELOAD shim around socket(), built at run time with cc). perfdhcp
#                             plays 50,000 clients on one socket with the default 208 KiB buffer,
#                             where real clients would each have their own: a server whose answers
#                             come in bursts (pxed's ACKs leave together after each fsync) overflows
#                             it though every answer was sent. Applies to every server alike.
#   PXBENCH_SKIP_LOSS (50)    within a run, a server that lost more than this % of the exchanges
#                             at one rate is not offered the higher rates (they only repeat it)
set_profile() {
  NCPU=$(nproc)
  if ((QUICK)); then
    RUNS=1; PERIOD=5; CASES=sweep; CASE_LIST=(sweep)
    [[ -n $RATES ]] || RATE_LIST=(1000)
  else
    PERIOD=${PXBENCH_PERIOD:-6}
    [[ -n $RATES ]] || RATE_LIST=(250 500 1000 2000 5000 10000 15000 20000 30000)
  fi
  CLIENTS=${PXBENCH_CLIENTS:-50000}
  HELD=${PXBENCH_HELD:-10000}
  HELD_RATE_MAX=10000
  SKIP_LOSS=${PXBENCH_SKIP_LOSS:-50}
  [[ $PERIOD =~ ^[1-9][0-9]*$ ]] || { echo "dhcp.sh: PXBENCH_PERIOD must be a positive integer" >&2; exit 2; }
  if [[ ! $CLIENTS =~ ^[1-9][0-9]*$ ]] || ((CLIENTS > POOL_SIZE)); then
    echo "dhcp.sh: PXBENCH_CLIENTS must be 1..$POOL_SIZE (the pool)" >&2; exit 2
  fi
  if [[ ! $HELD =~ ^[0-9]+$ ]] || ((HELD + CLIENTS > POOL_SIZE)); then
    echo "dhcp.sh: PXBENCH_HELD + PXBENCH_CLIENTS must fit the pool ($POOL_SIZE)" >&2; exit 2
  fi
  # perfdhcp waits this long after the period for late answers (-W, microseconds); perfdhcp's
  # own drop time (-d) is its default, 1 s.
  EXIT_WAIT_US=1000000
  STEP_CAP=$((PERIOD + 60))   # perfdhcp that runs this long is stuck
  if ((NCPU >= 2)); then SRV_CPU=0; CLI_CPU=1; else SRV_CPU=0; CLI_CPU=0; fi
}

CLIENT_ENV=()
# PXBENCH_CLIENT_RCVBUF: a shim that enlarges the receive buffer of every IPv4 UDP socket perfdhcp
# opens (capped by net.core.rmem_max). SO_RCVBUFFORCE would pass the cap; we stay within it.
build_client_shim() {
  [[ -n ${PXBENCH_CLIENT_RCVBUF:-} ]] || return 0
  [[ $PXBENCH_CLIENT_RCVBUF =~ ^[1-9][0-9]*$ ]] || { echo "dhcp.sh: PXBENCH_CLIENT_RCVBUF must be bytes" >&2; exit 2; }
  cat >"$WORK/rcvbuf.c" <<'EOF_C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
int socket(int domain, int type, int protocol) {
  static int (*real)(int, int, int);
  if (!real) real = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
  int fd = real(domain, type, protocol);
  const char* size = getenv("PXBENCH_CLIENT_RCVBUF");
  if (fd >= 0 && size && domain == AF_INET && (type & 0xf) == SOCK_DGRAM) {
    int bytes = atoi(size);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  }
  return fd;
}
EOF_C
  cc -O2 -shared -fPIC -o "$WORK/rcvbuf.so" "$WORK/rcvbuf.c" -ldl
  CLIENT_ENV=(LD_PRELOAD="$WORK/rcvbuf.so" PXBENCH_CLIENT_RCVBUF="$PXBENCH_CLIENT_RCVBUF")
  log "perfdhcp's sockets get SO_RCVBUF $PXBENCH_CLIENT_RCVBUF (LD_PRELOAD shim)"
}

BENCH_NET=10.245
# The DHCP subnet every server hands out: the whole /16, minus 10.245.0.0-10.245.16.0 where the
# veth addresses (10.245.K.1 server, 10.245.K.2 perfdhcp as relay) live.
SUBNET=$BENCH_NET.0.0/16
POOL_FIRST=$BENCH_NET.16.1
POOL_LAST=$BENCH_NET.255.254
POOL_SIZE=$((240 * 256 - 2))
# shellcheck source=bench/lib.sh
source "$REPO_DIR/bench/lib.sh"
want_server() { [[ ",$SERVERS," == *",$1,"* ]]; }
server_index() { case $1 in kea) echo 1 ;; dnsmasq) echo 2 ;; pxed) echo 3 ;; esac; }

# ---------------------------------------------------------------- servers
declare -A SERVER_PID=() SERVER_DEAD=()

# start_server NAME STATE_DIR: launch pinned to SRV_CPU inside its namespace with an empty lease
# store in STATE_DIR, wait until it serves. Returns 1 (and logs why) when it does not.
start_server() {
  local s=$1 dir=$2 ns ip logf pid
  ns=$(server_ns "$s"); ip=$(server_ip "$s"); logf=$dir/$s.log
  mkdir -p "$dir/root"
  : >"$logf"
  # nsenter and taskset exec, so $! is the server itself.
  case $s in
    pxed)
      # log_level warn: at info pxed writes one line per OFFER and ACK.
      cat >"$dir/pxed.toml" <<EOF
[server]
interfaces = ["srv"]
state_dir = "$dir/state"
log_level = "warn"
[files]
root = "$dir/root"
[tftp]
enabled = false
[dhcp]
mode = "full"
commit_interval = "2ms"
# perfdhcp's clients are all new, at up to 10,000/s: the flood limit is what we would measure.
interface_bindings_per_second = 0
[[dhcp.subnet]]
network = "$SUBNET"
range = ["$POOL_FIRST", "$POOL_LAST"]
lease_time = "1h"
EOF
      nsenter --net="/run/netns/$ns" taskset -c "$SRV_CPU" "$PXED_BIN" serve -c "$dir/pxed.toml" >>"$logf" 2>&1 &
      ;;
    kea)
      # memfile with persist: every lease change is appended to the CSV (no fsync: see the
      # report). lfc-interval 0: no lease file cleanup during a step. dhcp-socket-type udp:
      kea_json "$dir" "$logf" >"$dir/kea.json"
      KEA_PIDFILE_DIR=$dir KEA_LOCKFILE_DIR=$dir \
        nsenter --net="/run/netns/$ns" taskset -c "$SRV_CPU" "$KEA_BIN" -c "$dir/kea.json" >>"$logf" 2>&1 &
      ;;
    dnsmasq)
      # DHCP only (port=0: no DNS). The range carries the netmask because every request is
      # relayed: dnsmasq picks the range by giaddr. lease-max raised from its default 1000 (the
      # run would measure the limit); --no-ping: Kea and pxed do not probe addresses either;
      # --quiet-dhcp: it would log every packet, the others log none.
      nsenter --net="/run/netns/$ns" taskset -c "$SRV_CPU" dnsmasq --no-daemon --conf-file=/dev/null \
        --port=0 --interface=srv --dhcp-range="$POOL_FIRST,$POOL_LAST,255.255.0.0,1h" \
        --dhcp-leasefile="$dir/dnsmasq.leases" --dhcp-lease-max=100000 --no-ping --quiet-dhcp \
        --user=root --group=root --pid-file="$dir/dnsmasq.pid" --log-facility="$logf" >>"$logf" 2>&1 &
      ;;
  esac
  pid=$!
  SERVER_PID[$s]=$pid
  local deadline=$((SECONDS + 15))
  while ((SECONDS < deadline)); do
    kill -0 "$pid" 2>/dev/null || break
    case $s in
      kea) grep -q DHCP4_STARTED "$logf" && return 0 ;;
      *) [[ -n $(in_ns "$ns" ss -Hlun "sport = :67") ]] && return 0 ;;
    esac
    sleep 0.05
  done
  log "$s did not start serving within 15 s (log: $(tail -c 400 "$logf" | tr '\n' ' '))"
  kill_server "$s" || true
  return 1
}

# kill_server NAME: kill -9 (the durability check wants no graceful flush), then anything left in
# its namespace. Returns 1 when the server had already exited (crashed) before the kill.
kill_server() {
  local s=$1 ns pid p rc=0
  ns=$(server_ns "$s"); pid=${SERVER_PID[$s]:-}
  if [[ -n $pid ]]; then
    kill -0 "$pid" 2>/dev/null || rc=1
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  for p in $(ip netns pids "$ns"); do kill -KILL "$p" 2>/dev/null || true; done
  local deadline=$((SECONDS + 5))
  while [[ -n $(ip netns pids "$ns") ]] && ((SECONDS < deadline)); do sleep 0.05; done
  SERVER_PID[$s]=
  return "$rc"
}

# CPU seconds (user + system, all threads) the process has used so far.
cpu_seconds() {
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' "/proc/$1/stat" 2>/dev/null || true
}

# UDP datagrams the kernel dropped in a namespace because a socket's receive buffer was full
# (/proc/net/snmp is per network namespace): tells a server too slow to read its socket from
# perfdhcp too slow to read its own.
rcvbuf_errors() {
  # shellcheck disable=SC2016  # awk fields, not shell
  in_ns "$1" awk '/^Udp:/ { n++; if (n == 1) for (i = 1; i <= NF; i++) col[$i] = i; else print $col["RcvbufErrors"] }' /proc/net/snmp 2>/dev/null || echo 0
}

# ---------------------------------------------------------------- results
# RES[case|metric|rate|server] holds one word per run, in run order: a number, "SKIP" (not offered this
# rate: it lost > SKIP_LOSS% at a lower one), "CRASH" or "NOSTART".
declare -A RES=()
SCEN=sweep   # the case being run or reported: every key starts with it
record() { local k="$SCEN|$1"; RES[$k]="${RES[$k]:+${RES[$k]} }$2"; }
res() { local k="$SCEN|$1"; echo "${RES[$k]:-}"; }
PROBLEMS=()   # one markdown line per crash, failed start or lost lease, for the report
QUICK_FAIL=

# parse_perfdhcp OUT DIR -> prints "do_sent do_recv ra_sent ra_recv do_drops ra_drops orphans";
# writes DIR/offer.ms and DIR/ack.ms (one delay per line, sorted) and DIR/acked (client_id,address).
parse_perfdhcp() {
  local out=$1 dir=$2
  awk -v dof="$dir/offer.ms.u" -v raf="$dir/ack.ms.u" -v leasef="$dir/acked" '
    /^\*\*\*Statistics for: DISCOVER-OFFER/ { sec = "do"; next }
    /^\*\*\*Statistics for: REQUEST-ACK/ { sec = "ra"; next }
    /^\*\*\*Timestamps for packets: DISCOVER-OFFER/ { sec = "tdo"; next }
    /^\*\*\*Timestamps for packets: REQUEST-ACK/ { sec = "tra"; next }
    /^\*\*\*Leases for REQUEST-ACK/ { sec = "lra"; next }
    /^\*\*\*/ { sec = ""; next }
    # "client_id,address,": the client id is the one the ACK echoed (RFC 6842), empty if none.
    sec == "lra" && /^[0-9a-f]*,[0-9.]+,/ { print > leasef; next }
    sec == "do" || sec == "ra" {
      if ($0 ~ /^sent packets:/) sent[sec] = $3
      else if ($0 ~ /^received packets:/) recv[sec] = $3
      else if ($0 ~ /^drops:/) drops[sec] = $2
      else if ($0 ~ /^orphans:/) orphans += $2
      next
    }
    sec == "tdo" && /^sent \/ received:/ { printf "%.3f\n", ($6 - $4) * 1000 > dof; next }
    sec == "tra" && /^sent \/ received:/ { printf "%.3f\n", ($6 - $4) * 1000 > raf; next }
    END { printf "%d %d %d %d %d %d %d\n", sent["do"], recv["do"], sent["ra"], recv["ra"], drops["do"], drops["ra"], orphans }
  ' "$out"
  touch "$dir/offer.ms.u" "$dir/ack.ms.u" "$dir/acked"
  sort -g "$dir/offer.ms.u" >"$dir/offer.ms"; sort -g "$dir/ack.ms.u" >"$dir/ack.ms"
  rm -f "$dir/offer.ms.u" "$dir/ack.ms.u"
}

# percentile FILE P -> the nearest-rank P-th percentile of a sorted column, or nothing when empty.
percentile() {
  awk -v p="$2" '{ v[NR] = $1 } END { if (NR == 0) exit; i = int(p / 100 * NR + 0.999999); if (i < 1) i = 1; print v[i] }' "$1"
}

# check_store SERVER DIR -> prints "acked in_store missing wrong_client reused rows": the distinct
# addresses perfdhcp saw ACKed, how many of them the server's store holds bound to the same
# client, how many are missing or bound to another client, addresses ACKed to two different
# clients in the step, and the bound rows in the store.
check_store() {
  /usr/bin/python3 - "$1" "$2" <<'PY'
import csv, ipaddress, os, sqlite3, sys, time
server, d = sys.argv[1], sys.argv[2]
acked, reused = {}, set()
with open(f"{d}/acked") as f:
    for line in f:
        cid, ip, _ = line.strip().split(",")
        if ip in acked and cid and acked[ip] and acked[ip] != cid:
            reused.add(ip)
        acked[ip] = cid
# perfdhcp prints the ACK's option 61 as hex (01 + MAC): stores are compared by MAC (its last
# 6 bytes). A server that does not echo option 61 (dnsmasq) leaves it empty: then only the
# address is checked.
def mac_of(hexid):
    return hexid[-12:].lower()
def same(ip, cid):
    return ip in store and (not cid or store[ip] == mac_of(cid))
store = {}  # ip -> mac (bound leases only)
now = time.time()
def read_store():
    if server == "pxed" and not os.path.exists(f"{d}/state/leases.sqlite3"):
        return
    elif server == "pxed":
        db = sqlite3.connect(f"file:{d}/state/leases.sqlite3", uri=True)
        for ip, mac, state, expires in db.execute("SELECT ip, mac, state, expires FROM leases"):
            if state == 1 and expires > now:
                store[str(ipaddress.IPv4Address(ip))] = bytes(mac).hex()
    elif server == "kea":
        with open(f"{d}/kea-leases4.csv") as f:
            for row in csv.DictReader(f):
                # Memfile appends every change; the last line for an address wins.
                if row["state"] == "0" and int(row["valid_lifetime"]) > 0 and int(row["expire"]) > now:
                    store[row["address"]] = row["hwaddr"].replace(":", "").lower()
                else:
                    store.pop(row["address"], None)
    else:
        try:
            with open(f"{d}/dnsmasq.leases") as f:
                for line in f:
                    parts = line.split()
                    if len(parts) >= 3 and parts[1].count(":") == 5:
                        store[parts[2]] = parts[1].replace(":", "").lower()
        except FileNotFoundError:
            pass
try:
    read_store()
except Exception as e:  # an unreadable store counts every ACKed lease as missing
    print(f"dhcp.sh: cannot read {server}'s store: {e}", file=sys.stderr)
    store.clear()
ok = sum(1 for ip, cid in acked.items() if same(ip, cid))
wrong = sum(1 for ip, cid in acked.items() if ip in store and not same(ip, cid))
print(len(acked), ok, len(acked) - ok, wrong, len(reused), len(store))
PY
}

# prefill SERVER DIR: write HELD bound leases (MACs 02:00:00:00:xx:xx, never perfdhcp's
# 00:0c:01:...) on the lowest addresses of the pool into the server's own store, as the server
# itself would have written them. pxed's SQLite schema is pxed's: it has created the database in
# a first start (killed before this), and only rows are added here.
prefill() {
  /usr/bin/python3 - "$1" "$2" "$HELD" "$POOL_FIRST" <<'PY'
import ipaddress, sqlite3, sys, time
server, d, n, first = sys.argv[1], sys.argv[2], int(sys.argv[3]), ipaddress.IPv4Address(sys.argv[4])
now = int(time.time())
rows = []
for i in range(n):
    mac = bytes([2, 0, 0, 0, (i >> 8) & 255, i & 255])
    rows.append((first + i, mac))
colons = lambda b: ":".join(f"{x:02x}" for x in b)
if server == "pxed":
    db = sqlite3.connect(f"{d}/state/leases.sqlite3")
    db.executemany("INSERT INTO leases (ip, client_id, mac, hostname, state, expires, updated)"
                   " VALUES (?, ?, ?, '', 1, ?, ?)",
                   [(int(ip), b"\x01" + mac, mac, now + 3600, now) for ip, mac in rows])
    db.commit()
    db.close()
elif server == "kea":
    with open(f"{d}/kea-leases4.csv", "w") as f:
        f.write("address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context\n")
        for ip, mac in rows:
            f.write(f"{ip},{colons(mac)},01:{colons(mac)},3600,{now + 3600},1,0,0,,0,\n")
else:
    with open(f"{d}/dnsmasq.leases", "w") as f:
        for ip, mac in rows:
            f.write(f"{now + 3600} {colons(mac)} {ip} * 01:{colons(mac)}\n")
PY
}

# ---------------------------------------------------------------- one step
# step SERVER RATE RUN: fresh server, one perfdhcp run, kill -9, check the store, record.
step() {
  local s=$1 rate=$2 run=$3 dir out ip pid cpu0 cpu1 rc=0 crashed=0
  dir=$WORK/$SCEN-$s-$rate-$run; out=$dir/perfdhcp.out; ip=$(server_ip "$s")
  if [[ $SCEN == held ]]; then
    mkdir -p "$dir"
    if [[ $s == pxed ]]; then
      # A first start creates the database with pxed's schema; kill -9 leaves it as a crash would.
      if start_server "$s" "$dir"; then kill_server "$s" || true; fi
    fi
    prefill "$s" "$dir"
  fi
  if ! start_server "$s" "$dir"; then
    record "acks|$rate|$s" NOSTART
    PROBLEMS+=("- $SCEN, run $run, $rate/s: $s did not start: \`$(tail -c 300 "$dir/$s.log" | tr '\n' ' ')\`")
    [[ $s == pxed ]] && QUICK_FAIL+="pxed did not start at $rate/s. "
    return
  fi
  pid=${SERVER_PID[$s]}
  cpu0=$(cpu_seconds "$pid")
  local perf_pid='' srv_drop0 cli_drop0 srv_drop1 cli_drop1
  srv_drop0=$(rcvbuf_errors "$(server_ns "$s")"); cli_drop0=$(rcvbuf_errors "$CLI_NS")
  if [[ ,${PXBENCH_PERF:-}, == *",$s,"* ]] && command -v perf >/dev/null; then
    perf record -q -F 997 -g -p "$pid" -o "$dir/perf.data" -- sleep "$PERIOD" >/dev/null 2>&1 &
    perf_pid=$!; HELPER_PIDS+=("$perf_pid")
  fi
  # -g single: one thread, on its one CPU (a receiver thread would only compete with it).
  # -x t: per-packet timestamps of every completed exchange (for the percentiles);
  # -x l: every ACKed lease (client id, address), for the durability check.
  in_ns "$CLI_NS" taskset -c "$CLI_CPU" timeout "$STEP_CAP" env "${CLIENT_ENV[@]}" "$PERFDHCP" -4 -g single -r "$rate" \
    -p "$PERIOD" -R "$CLIENTS" -W "$EXIT_WAIT_US" -x tl "$ip" >"$out" 2>"$dir/perfdhcp.err" || rc=$?
  cpu1=$(cpu_seconds "$pid")
  srv_drop1=$(rcvbuf_errors "$(server_ns "$s")"); cli_drop1=$(rcvbuf_errors "$CLI_NS")
  if [[ -n $perf_pid ]]; then
    wait "$perf_pid" 2>/dev/null || true
    perf report -i "$dir/perf.data" --no-children --stdio --percent-limit 1 2>/dev/null >"$dir/perf.txt" || true
    perf report -i "$dir/perf.data" --no-children --stdio -g none --percent-limit 0.5 2>/dev/null >"$dir/perf-flat.txt" || true
    rm -f "$dir/perf.data"
  fi
  if ! kill_server "$s"; then
    crashed=1
    PROBLEMS+=("- $SCEN, run $run, $rate/s: **$s exited during the step**; its log ends: \`$(tail -c 500 "$dir/$s.log" | tr '\n' ' ')\`")
  fi
  # perfdhcp exits 3 when packets were dropped: that is a result, not a failure.
  if ((rc != 0 && rc != 3)); then
    log "  perfdhcp exited $rc: $(tail -n 3 "$dir/perfdhcp.err" | tr '\n' ' ')"
  fi
  local do_sent do_recv ra_sent ra_recv do_drops ra_drops orphans
  do_sent=0 do_recv=0 ra_sent=0 ra_recv=0 do_drops=0 ra_drops=0 orphans=0
  read -r do_sent do_recv ra_sent ra_recv do_drops ra_drops orphans < <(parse_perfdhcp "$out" "$dir") || true
  local acked in_store missing wrong reused rows
  acked=0 in_store=0 missing=0 wrong=0 reused=0 rows=0
  read -r acked in_store missing wrong reused rows < <(check_store "$s" "$dir") || true
  local loss cpu_us
  loss=$(awk -v a="$ra_recv" -v d="$do_sent" 'BEGIN { printf "%.2f", d ? 100 * (1 - a / d) : 100 }')
  cpu_us=$(awk -v c0="${cpu0:-0}" -v c1="${cpu1:-0}" -v a="$ra_recv" 'BEGIN { if (a) printf "%.0f", (c1 - c0) * 1e6 / a }')
  if ((crashed)); then record "acks|$rate|$s" CRASH; else record "acks|$rate|$s" "$ra_recv"; fi
  record "dora|$rate|$s" "$(awk -v a="$ra_recv" -v p="$PERIOD" 'BEGIN { printf "%.0f", a / p }')"
  record "sent|$rate|$s" "$(awk -v a="$do_sent" -v p="$PERIOD" 'BEGIN { printf "%.0f", a / p }')"
  record "loss|$rate|$s" "$loss"
  record "offer_loss|$rate|$s" "$(awk -v r="$do_recv" -v d="$do_sent" 'BEGIN { printf "%.2f", d ? 100 * (1 - r / d) : 100 }')"
  record "ack_loss|$rate|$s" "$(awk -v r="$ra_recv" -v d="$ra_sent" 'BEGIN { printf "%.2f", d ? 100 * (1 - r / d) : 100 }')"
  record "lost|$rate|$s" "$((do_sent - ra_recv))"
  local m
  for m in offer ack; do
    record "${m}_p50|$rate|$s" "$(percentile "$dir/$m.ms" 50)"
    record "${m}_p99|$rate|$s" "$(percentile "$dir/$m.ms" 99)"
  done
  [[ -n $cpu_us ]] && record "cpu_us|$rate|$s" "$cpu_us"
  record "srv_rcvbuf|$rate|$s" "$((srv_drop1 - srv_drop0))"
  record "cli_rcvbuf|$rate|$s" "$((cli_drop1 - cli_drop0))"
  record "acked|$rate|$s" "$acked"
  record "missing|$rate|$s" "$missing"
  record "reused|$rate|$s" "$reused"
  if ((missing > 0 || reused > 0)); then
    PROBLEMS+=("- $SCEN, run $run, $rate/s: $s: $missing of $acked ACKed addresses not bound to their client in its store after kill -9 ($wrong bound to another client, $rows bound rows); $reused addresses ACKed to two clients")
  fi
  log "  $SCEN run $run $s @ $rate/s: sent $do_sent DISCOVER ($((do_sent / PERIOD))/s), $do_recv OFFER, $ra_sent REQUEST, $ra_recv ACK = $((ra_recv / PERIOD)) DORA/s, lost $loss% (perfdhcp drops $do_drops + $ra_drops, orphans $orphans; full receive buffers: server $((srv_drop1 - srv_drop0)), perfdhcp $((cli_drop1 - cli_drop0)))," \
    "DO p50/p99 $(percentile "$dir/offer.ms" 50)/$(percentile "$dir/offer.ms" 99) ms, RA $(percentile "$dir/ack.ms" 50)/$(percentile "$dir/ack.ms" 99) ms," \
    "cpu ${cpu_us:-?} us/DORA, store: $in_store/$acked ACKed leases ($rows rows)$( ((crashed)) && echo ', CRASHED')"
  if ((QUICK)) && [[ $s == pxed ]]; then
    if ((crashed)); then QUICK_FAIL+="pxed exited during the step at $rate/s. "; fi
    if ((ra_recv * 10 < do_sent * 9)); then QUICK_FAIL+="pxed ACKed $ra_recv of $do_sent DISCOVERs at $rate/s (< 90%). "; fi
    if ((missing > 0)); then QUICK_FAIL+="$missing ACKed leases missing from pxed's store after kill -9. "; fi
  fi
  # Keep a crashed or failing server's files for the report; drop the rest (MBs of timestamps).
  [[ -n ${PXBENCH_KEEP:-} ]] && mkdir -p "$PXBENCH_KEEP" && cp -r "$dir" "$PXBENCH_KEEP/"
  if ((crashed == 0)); then rm -f "$out" "$dir/offer.ms" "$dir/ack.ms" "$dir/acked"; fi
  LAST_LOSS=$loss
}

# set_case NAME: make NAME the case being run or reported; CASE_RATES its rates.
set_case() {
  SCEN=$1
  CASE_RATES=()
  local r
  for r in "${RATE_LIST[@]}"; do
    [[ $SCEN == held ]] && ((r > HELD_RATE_MAX)) && continue
    CASE_RATES+=("$r")
  done
}

# Interleaved: run 1 of every case, rate and server, then run 2, ...
run_cases() {
  local run rate s c m
  declare -A skip=()
  for ((run = 1; run <= RUNS; run++)); do
    for c in "${CASE_LIST[@]}"; do
      set_case "$c"
      skip=()
      log "$c run $run of $RUNS: rates ${CASE_RATES[*]}/s, $PERIOD s each, $CLIENTS clients$([[ $c == held ]] && echo ", $HELD leases held")"
      for rate in "${CASE_RATES[@]}"; do
        for s in "${SERVER_LIST[@]}"; do
          [[ -n ${SERVER_DEAD[$s]:-} ]] && continue
          if [[ -n ${skip[$s]:-} ]]; then
            for m in acks dora sent loss offer_loss ack_loss cpu_us srv_rcvbuf cli_rcvbuf; do record "$m|$rate|$s" SKIP; done
            continue
          fi
          LAST_LOSS=0
          step "$s" "$rate" "$run"
          if awk -v l="$LAST_LOSS" -v m="$SKIP_LOSS" 'BEGIN { exit !(l > m) }'; then skip[$s]=$rate; fi
        done
      done
    done
  done
}

# ---------------------------------------------------------------- formatting
# Debian's awk is mawk: no asort(). Insertion sort of a[1..n], returns n.
AWK_SORT='function isort(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]
  for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }; return n }
'
# stat_cell "w1 w2 ..." FMT -> "median (min-max)" of the numeric words; SKIP/CRASH/NOSTART words
# make the cell say so. FMT is a printf format for one number.
stat_cell() {
  local words=$1 fmt=${2:-%.0f}
  [[ -z $words ]] && { echo "—"; return; }
  awk -v w="$words" -v fmt="$fmt" "$AWK_SORT"'BEGIN {
      n = split(w, a, " "); k = 0; bad = ""
      for (i = 1; i <= n; i++) { if (a[i] ~ /^-?[0-9.]+$/) v[++k] = a[i] + 0; else bad = a[i] }
      if (bad == "SKIP" && k == 0) { print "not offered ²"; exit }
      if (k == 0) { print tolower(bad); exit }
      isort(v, k)
      m = (k % 2) ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
      s = sprintf(fmt, m)
      if (k > 1) s = s " (" sprintf(fmt, v[1]) "-" sprintf(fmt, v[k]) ")"
      if (bad == "CRASH" || bad == "NOSTART") s = s " + " tolower(bad)
      print s }'
}

median_of() {  # median_of "w1 w2 ..." -> median of the numeric words, or nothing
  awk -v w="$1" "$AWK_SORT"'BEGIN { n = split(w, a, " "); k = 0
      for (i = 1; i <= n; i++) if (a[i] ~ /^-?[0-9.]+$/) v[++k] = a[i] + 0
      if (k == 0) exit
      isort(v, k); print (k % 2) ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2 }'
}

nth_word() { local -a w; read -ra w <<<"$1"; echo "${w[$2 - 1]:-}"; }

# saturation SERVER RUN -> the highest offered rate at which this run lost < 1%, counting only
# rates below the first one that lost more (0 when even the lowest lost more).
# A rate counts only when perfdhcp really offered it (sent >= 95% of it): a load generator that
# fell behind proves nothing about the server, whatever the loss.
saturation() {
  local s=$1 run=$2 rate best=0 l sent
  for rate in "${CASE_RATES[@]}"; do
    l=$(nth_word "$(res "loss|$rate|$s")" "$run")
    sent=$(nth_word "$(res "sent|$rate|$s")" "$run")
    [[ $l =~ ^[0-9.]+$ && $sent =~ ^[0-9]+$ ]] || break
    awk -v l="$l" 'BEGIN { exit !(l < 1) }' || break
    ((sent * 100 >= rate * 95)) || break
    best=$rate
  done
  echo "$best"
}
# peak SERVER RUN -> the highest completed DORA/s of any rate in this run
peak() {
  local s=$1 run=$2 rate best=0 d
  for rate in "${CASE_RATES[@]}"; do
    d=$(nth_word "$(res "dora|$rate|$s")" "$run")
    [[ $d =~ ^[0-9]+$ ]] && ((d > best)) && best=$d
  done
  echo "$best"
}

table() {  # table TITLE METRIC FMT: one row per rate, one column per server
  local title=$1 metric=$2 fmt=$3 rate s line
  echo "##### $title"; echo
  line="| offered/s |"; for s in "${SERVER_LIST[@]}"; do line+=" $s |"; done; echo "$line"
  line="|---|"; for s in "${SERVER_LIST[@]}"; do line+="---|"; done; echo "$line"
  for rate in "${CASE_RATES[@]}"; do
    line="| $rate |"
    for s in "${SERVER_LIST[@]}"; do line+=" $(stat_cell "$(res "$metric|$rate|$s")" "$fmt") |"; done
    echo "$line"
  done
  echo
}

latency_table() {
  local rate s line m
  echo "##### Latency, ms: median / p99 of each exchange (perfdhcp's per-packet timestamps), median of runs"; echo
  line="| offered/s | exchange |"; for s in "${SERVER_LIST[@]}"; do line+=" $s |"; done; echo "$line"
  line="|---|---|"; for s in "${SERVER_LIST[@]}"; do line+="---|"; done; echo "$line"
  for rate in "${CASE_RATES[@]}"; do
    for m in offer ack; do
      line="| $rate | $([[ $m == offer ]] && echo DISCOVER-OFFER || echo REQUEST-ACK) |"
      for s in "${SERVER_LIST[@]}"; do
        local p50 p99
        p50=$(median_of "$(res "${m}_p50|$rate|$s")"); p99=$(median_of "$(res "${m}_p99|$rate|$s")")
        if [[ -n $p50 ]]; then line+=" $(printf '%.2f / %.2f' "$p50" "$p99") |"
        elif [[ $(res "loss|$rate|$s") == *SKIP* ]]; then line+=" not offered ² |"
        else line+=" — |"; fi
      done
      echo "$line"
    done
  done
  echo
}

report_case() {
  local s run line
  case $SCEN in
    sweep) echo "#### Case sweep: empty lease store at the start of every step"; echo ;;
    held) echo "#### Case held: $HELD leases of other clients already in the store (lowest addresses of the pool)"; echo ;;
  esac
  table "Completed DORA exchanges per second (ACKs received / $PERIOD s)" dora "%.0f"
  table "DISCOVERs perfdhcp actually sent per second (the offered load it managed)" sent "%.0f"
  table "Lost exchanges, % (1 - ACKs received / DISCOVERs sent)" loss "%.2f"
  table "Lost DISCOVER-OFFER, % (perfdhcp: 1 - received / sent)" offer_loss "%.2f"
  table "Lost REQUEST-ACK, % (perfdhcp: 1 - received / sent)" ack_loss "%.2f"
  table "Datagrams dropped at the server's socket (receive buffer full: the server did not keep up)" srv_rcvbuf "%.0f"
  table "Datagrams dropped at perfdhcp's socket (receive buffer full: the client did not keep up)" cli_rcvbuf "%.0f"
  latency_table
  table "Server CPU time per completed DORA, µs (user + system, all threads)" cpu_us "%.0f"
  echo "² not offered: in that run the server had lost more than $SKIP_LOSS% of the exchanges at a lower rate."
  echo
  echo "##### Saturation: highest rate perfdhcp offered (sent >= 95% of it) with < 1% of the exchanges lost (per run), and the peak completed DORA/s"; echo
  line="| run |"; for s in "${SERVER_LIST[@]}"; do line+=" $s saturation | $s peak DORA/s |"; done
  echo "$line"; line="|---|"; for s in "${SERVER_LIST[@]}"; do line+="---|---|"; done; echo "$line"
  declare -A sat_list=() peak_list=()
  for ((run = 1; run <= RUNS; run++)); do
    line="| $run |"
    for s in "${SERVER_LIST[@]}"; do
      local sat pk; sat=$(saturation "$s" "$run"); pk=$(peak "$s" "$run")
      sat_list[$s]+="$sat "; peak_list[$s]+="$pk "
      line+=" $sat | $pk |"
    done
    echo "$line"
  done
  line="| median |"
  for s in "${SERVER_LIST[@]}"; do line+=" $(median_of "${sat_list[$s]}") | $(median_of "${peak_list[$s]}") |"; done
  echo "$line"; echo
  # The issue's targets, for pxed against Kea in the same runs.
  if want_server pxed && want_server kea; then
    local ratios="" px kea r
    for ((run = 1; run <= RUNS; run++)); do
      px=$(saturation pxed "$run"); kea=$(saturation kea "$run")
      if ((kea > 0)); then ratios+="$(awk -v a="$px" -v b="$kea" 'BEGIN { printf "%.2f", a / b }') "; fi
    done
    echo "pxed saturation / Kea saturation, per run: ${ratios% } (target >= 2)."
    local l5; l5=$(res "loss|5000|pxed")
    if [[ $l5 == *[0-9]* ]]; then echo "pxed lost exchanges at 5000/s, per run: ${l5//SKIP/not-offered} % (target 0)."
    elif [[ -n $l5 ]]; then echo "pxed was not offered 5000/s in any run: it lost > $SKIP_LOSS% at a lower rate (target: 0 lost at 5000/s)."
    fi
    echo
  fi
}

report() {
  local s c
  echo "### DHCP benchmark ($(date -u '+%Y-%m-%d %H:%M') UTC, runs: $RUNS$( ((QUICK)) && echo ', --quick'))"
  echo
  echo "Machine: $NCPU vCPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), kernel $(uname -r), load average at the end $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Servers: $("$PXED_BIN" --version 2>/dev/null | head -1) ($PXED_BIN, full mode, commit_interval 2ms), Kea $("$KEA_BIN" -v 2>/dev/null) (memfile,"
  echo "persist, single-threaded), $(dnsmasq -v | head -1 | cut -d' ' -f1-3 | sed 's/ version//'); client perfdhcp $("$PERFDHCP" -v 2>&1 | sed 's/^VERSION: //')."
  echo "Each step: a fresh server, its lease store on ext4 (/var/tmp), server on CPU $SRV_CPU, perfdhcp"
  echo "(-g single, -R $CLIENTS clients, -p $PERIOD s, -W 1 s) on CPU $CLI_CPU; pool $POOL_FIRST-$POOL_LAST ($POOL_SIZE addresses)."
  if [[ -n ${PXBENCH_CLIENT_RCVBUF:-} ]]; then
    echo "perfdhcp's socket receive buffer: $PXBENCH_CLIENT_RCVBUF bytes (PXBENCH_CLIENT_RCVBUF; the default is net.core.rmem_default, $(sysctl -n net.core.rmem_default))."
  fi
  if ((${PXBENCH_NICE:-0})); then
    echo "Servers and perfdhcp ran in their own scheduler autogroup at nice ${PXBENCH_NICE} (the machine was busy with other work)."
  fi
  echo "Cells: median (min-max) of $RUNS run(s), runs interleaved."
  echo
  for c in "${CASE_LIST[@]}"; do set_case "$c"; report_case; done
  echo "#### Durability: ACKed leases found in the server's store after kill -9 (all steps, all cases)"; echo
  echo "| server | distinct addresses ACKed | missing from the store or bound to another client | addresses ACKed to two clients |"
  echo "|---|---|---|---|"
  for s in "${SERVER_LIST[@]}"; do
    local a=0 m=0 r=0 rate w
    for c in "${CASE_LIST[@]}"; do
      set_case "$c"
      for rate in "${CASE_RATES[@]}"; do
        for w in $(res "acked|$rate|$s"); do a=$((a + w)); done
        for w in $(res "missing|$rate|$s"); do m=$((m + w)); done
        for w in $(res "reused|$rate|$s"); do r=$((r + w)); done
      done
    done
    echo "| $s | $a | $m | $r |"
  done
  echo
  echo "Stores read after kill -9: pxed's SQLite database (rows with state bound), Kea's memfile CSV"
  echo "(last line per address), dnsmasq's lease file. kill -9 loses only what a process had not yet"
  echo "handed to the kernel; Kea's memfile appends without fsync, so a power cut could lose leases"
  echo "it had ACKed. pxed commits (SQLite WAL, synchronous=FULL) before its ACKs leave."
  echo
  if ((${#PROBLEMS[@]})); then
    echo "#### Problems seen"; echo
    printf '%s\n' "${PROBLEMS[@]}"
    echo
  fi
  if ((QUICK)) && want_server pxed; then
    if [[ -n $QUICK_FAIL ]]; then echo "**quick check FAILED:** $QUICK_FAIL"; else echo "quick check passed: pxed ACKed >= 90% of the DISCOVERs and every ACKed lease was in its store."; fi
  fi
}

# ---------------------------------------------------------------- main
main() {
  parse_args "$@"
  set_profile
  ((EUID == 0)) || { echo "dhcp.sh: needs root (network namespaces)" >&2; exit 1; }
  run_in_own_autogroup "${PXBENCH_NICE:-0}" "${BASH_SOURCE[0]}" "$@"
  local tool s
  for tool in ip nsenter taskset timeout ss awk sort /usr/bin/python3 "$PERFDHCP"; do
    command -v "$tool" >/dev/null || { echo "dhcp.sh: missing $tool" >&2; exit 1; }
  done
  for s in "${SERVER_LIST[@]}"; do
    case $s in
      kea) [[ -x $KEA_BIN ]] || { log "missing $KEA_BIN (kea-dhcp4-server): skipping kea"; SERVER_DEAD[kea]=1; } ;;
      dnsmasq) command -v dnsmasq >/dev/null || { log "missing dnsmasq: skipping it"; SERVER_DEAD[dnsmasq]=1; } ;;
      pxed) [[ -x $PXED_BIN ]] || { echo "dhcp.sh: pxed binary $PXED_BIN not found (set PXED_BIN)" >&2; exit 1; } ;;
    esac
  done

  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  # On disk, not tmpfs: pxed's fsyncs should cost what they cost on a server.
  WORK=$(mktemp -d /var/tmp/pxbench.XXXXXX)
  local started=$SECONDS
  log "work dir $WORK, servers: ${SERVER_LIST[*]}, runs: $RUNS"
  setup_network
  build_client_shim
  run_cases
  log "done in $((SECONDS - started)) s"
  report
  if ((QUICK)) && [[ -n $QUICK_FAIL ]]; then log "quick check failed: $QUICK_FAIL"; exit 1; fi
  return 0
}

# Sourcing the file (for debugging single functions) defines everything and runs nothing.
# exit on the same line: bash reads a script as it runs, so an edit to this file during a run
# must not be read after main returns.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then main "$@"; exit; fi
