# shellcheck shell=bash
# bench/lib.sh — the harness bench/tftp.sh and bench/http.sh share: logging, case selection,
# the namespace lab (one namespace per server, one client namespace, a veth pair each) and the
# cleanup that leaves nothing behind. Sourced, not run. The including script defines
# server_index NAME -> 1..9 and sets BENCH_NET (the /16 prefix, e.g. 10.242), SERVER_LIST, CASES.

want() { [[ ",$CASES," == *",$1,"* ]]; }
log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# ---------------------------------------------------------------- cleanup
NAMESPACES=()
CGROUPS=()
HELPER_PIDS=()
WORK=

# Kill what runs inside our namespaces (servers, their forked children or workers, clients),
# then the namespaces (which takes the veth pairs with them), then cgroups and files. Only PIDs
# found in namespaces this script created, and its own helpers, are signalled.
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  local ns pid
  for pid in "${HELPER_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for ns in "${NAMESPACES[@]}"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null || true; done
  done
  local deadline=$((SECONDS + 5)) left
  while ((SECONDS < deadline)); do
    left=0
    for ns in "${NAMESPACES[@]}"; do [[ -n $(ip netns pids "$ns" 2>/dev/null) ]] && left=1; done
    ((left)) || break
    sleep 0.1
  done
  for ns in "${NAMESPACES[@]}"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  local cg
  for cg in "${CGROUPS[@]}"; do rmdir "$cg" 2>/dev/null || true; done
  [[ -n $WORK && -d $WORK ]] && rm -rf -- "$WORK"
  exit "$rc"
}

# ---------------------------------------------------------------- network
# Why a client namespace and veth pairs rather than each server's loopback: loss is emulated
# with nftables in the client namespace only, so the server's own stack is untouched (on a shared
# loopback the same rule would drop each packet on both ends); the veth MTU of 1500 is what a
# PXE LAN has; and one client namespace reaches every server at its own address while all
# servers use the same well-known port.
server_ip() { echo "$BENCH_NET.$(server_index "$1").1"; }
server_ns() { echo "pxbench-$$-$1"; }
CLI_NS="pxbench-$$-clients"

setup_network() {
  ip netns add "$CLI_NS"; NAMESPACES+=("$CLI_NS")
  ip -n "$CLI_NS" link set lo up
  local s k ns
  for s in "${SERVER_LIST[@]}"; do
    k=$(server_index "$s"); ns=$(server_ns "$s")
    ip netns add "$ns"; NAMESPACES+=("$ns")
    ip -n "$ns" link set lo up
    # Created inside the namespaces: no interface ever appears in the host namespace.
    ip -n "$ns" link add srv type veth peer name "srv$k" netns "$CLI_NS"
    ip -n "$ns" addr add "$BENCH_NET.$k.1/24" dev srv
    ip -n "$CLI_NS" addr add "$BENCH_NET.$k.2/24" dev "srv$k"
    ip -n "$ns" link set srv up
    ip -n "$CLI_NS" link set "srv$k" up
  done
}

in_ns() { local ns=$1; shift; nsenter --net="/run/netns/$ns" "$@"; }

# ---------------------------------------------------------------- priority
# run_in_own_autogroup NICE SCRIPT ARGS...: when NICE is not 0, re-run SCRIPT in a new session
# whose scheduler autogroup has that nice value, wait for it and exit with its status; in that
# new session (or when NICE is 0) just return. Why: with sched_autogroup_enabled=1 (the case on
# this machine) the kernel groups tasks by session and shares CPU between the groups first, so
# `nice -n -10` on a server only reorders it within the benchmark's own group: against other
# sessions' compilers it gains nothing. The group's own nice (/proc/PID/autogroup) does: measured
# with Kea and perfdhcp under load 13, 1,400 DORA/s at nice -10, 5,000/s with autogroup nice -10.
# ^C or TERM to this process is passed on as TERM, so the child's cleanup trap runs.
run_in_own_autogroup() {
  local nice=$1; shift
  ((nice != 0)) || return 0
  if [[ -n ${PXBENCH_IN_AUTOGROUP:-} ]]; then
    # Written through any member, the value applies to the whole group (sched(7)).
    echo "$nice" >/proc/self/autogroup
    return 0
  fi
  if [[ ! -w /proc/self/autogroup ]] || ! command -v setsid >/dev/null; then
    log "no autogroup support (or no setsid): priority $nice not applied"
    return 0
  fi
  PXBENCH_IN_AUTOGROUP=1 setsid -w "$BASH" "$@" &
  local child=$! rc=0
  trap 'kill -TERM "$child" 2>/dev/null || true' INT TERM
  wait "$child" || rc=$?
  # A trapped signal ends wait early: wait on until the child has cleaned up.
  while kill -0 "$child" 2>/dev/null; do rc=0; wait "$child" || rc=$?; done
  exit "$rc"
}

# kea_json LEASEDIR LOGFILE: Kea's DHCPv4 config for the relayed subnet $SUBNET (pool $POOL_FIRST -
# $POOL_LAST), leases kept on disk. Relayed packets (unicast to port 67) are the case Kea
# documents dhcp-socket-type udp for. Logging: WARN, except the dhcp4 logger at INFO for
# DHCP4_STARTED (it logs nothing per packet at INFO; kea-dhcp4.leases would, one line per lease).
kea_json() {
  cat <<EOF
{ "Dhcp4": {
  "interfaces-config": { "interfaces": ["srv"], "dhcp-socket-type": "udp" },
  "lease-database": { "type": "memfile", "persist": true, "name": "$1/kea-leases4.csv", "lfc-interval": 0 },
  "valid-lifetime": 3600,
  "subnet4": [ { "id": 1, "subnet": "$SUBNET", "pools": [ { "pool": "$POOL_FIRST - $POOL_LAST" } ] } ],
  "loggers": [
    { "name": "kea-dhcp4", "output_options": [ { "output": "$2" } ], "severity": "WARN" },
    { "name": "kea-dhcp4.dhcp4", "output_options": [ { "output": "$2" } ], "severity": "INFO" }
  ]
} }
EOF
}
