#!/usr/bin/env bash
# capture.sh - capture IKEv2/ESP golden data from strongSwan 5.9.8 (Debian 12).
#
# NEEDS ROOT: creates two network namespaces joined by a veth pair
# (192.0.2.1/24 <-> 192.0.2.2/24, nothing else), runs one charon in each
# (kernel-libipsec, PSK auth, one private mount namespace with its own /run
# per charon), lets A (initiator, moon.s2s.test) bring up a tunnel to
# B (responder, sun.s2s.test) for each proposal "case", captures UDP 500/4500
# with tcpdump in namespace A, and turns the pcap plus both charon logs
# (ike/chd/enc at level 4, which prints the DH secret, SKEYSEED, SK_* and the
# Child SA keys) into tests/S2SEndpoint.Ike.Tests/Golden/strongswan-5.9.8/
# <case>.txt (+ trimmed <case>.initiator.log / <case>.responder.log), using
# extract.py next to this script.
#
# Everything created (namespaces, veth, processes, private /run mounts,
# temp dir) is removed on exit, also on failure.  Processes are stopped by
# PID only.  No traffic leaves the two namespaces; the traffic selectors
# (10.1.0.0/24 <-> 10.2.0.0/24) are only negotiated, never used.
#
# Usage: sudo interop/golden/capture.sh [case-name ...]
#   env OUT_DIR=...   output folder (default: the Golden folder in this repo)
#   env KEEP_WORK=1   keep the temp work dir (raw pcaps and full logs)
#   env NO_INSTALL=1  do not apt-get install missing packages
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
OUT_DIR=${OUT_DIR:-$REPO_ROOT/tests/S2SEndpoint.Ike.Tests/Golden/strongswan-5.9.8}
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3

PSK='s2s-golden-psk'
ID_I='moon.s2s.test'
ID_R='sun.s2s.test'
IP_A=192.0.2.1
IP_B=192.0.2.2
CONN=golden
CHILD=net

# name | IKE proposal | ESP proposal | extra steps
ALL_CASES=(
  "ike-aes256-sha256-modp2048|aes256-sha256-modp2048|aes256gcm16|"
  "ike-aes128-sha1-modp1024|aes128-sha1-modp1024|aes128-sha1|"
  "ike-aes256gcm16-prfsha384-ecp384|aes256gcm16-prfsha384-ecp384|aes256-sha256|"
  "ike-chacha20poly1305-prfsha256-x25519|chacha20poly1305-prfsha256-x25519|chacha20poly1305|"
  "rekey-aes256-sha256-modp2048|aes256-sha256-modp2048|aes256gcm16-modp2048|rekey"
)

if [ "$(id -u)" -ne 0 ]; then
  echo "capture.sh: must run as root (network namespaces, tcpdump, charon)" >&2
  exit 1
fi

# The lab's package list and installer, and its check of charon's plugins.
# shellcheck source=../lib/lab.sh
. "$REPO_ROOT/interop/lib/lab.sh"
if [ -n "${NO_INSTALL:-}" ]; then
  missing=$(s2s_packages_missing | tr '\n' ' ')
  [ -z "$missing" ] || { echo "capture.sh: missing packages: $missing" >&2; exit 1; }
else
  s2s_install_packages || exit 1
fi
SWAN_VERSION=$(dpkg-query -W -f='${Version}' strongswan-charon)

WORK=$(mktemp -d /tmp/s2s-golden.XXXXXX)
TAG=$$
NS_A=s2sg-a-$TAG
NS_B=s2sg-b-$TAG
VETH_A=s2sga$TAG
VETH_B=s2sgb$TAG
VETH_A=${VETH_A:0:15}
VETH_B=${VETH_B:0:15}
PIDS=()
PID_SIGS=()
NETNS_DIR_WAS_MOUNT=0
mountpoint -q /run/netns 2>/dev/null && NETNS_DIR_WAS_MOUNT=1
NETNS_DIR_EXISTED=0
[ -d /run/netns ] && NETNS_DIR_EXISTED=1

log() { echo "[capture] $*" >&2; }

stop_pid() { # stop one process we started, by PID: TERM, then KILL after 5 s
  local pid=$1 sig=${2:-TERM} i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -"$sig" "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

teardown_case() {
  local i
  for ((i=${#PIDS[@]}-1; i>=0; i--)); do
    stop_pid "${PIDS[$i]}" "${PID_SIGS[$i]:-TERM}"
  done
  PIDS=()
  PID_SIGS=()
  ip netns del "$NS_A" 2>/dev/null || true
  ip netns del "$NS_B" 2>/dev/null || true
  ip link del "$VETH_A" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  set +e
  teardown_case
  # `ip netns add` turns /run/netns into a mount point; undo that only if we
  # caused it and no namespace is left in it.
  if [ "$NETNS_DIR_WAS_MOUNT" = 0 ] && mountpoint -q /run/netns 2>/dev/null \
     && [ -z "$(ls -A /run/netns 2>/dev/null)" ]; then
    umount /run/netns 2>/dev/null
  fi
  if [ "$NETNS_DIR_EXISTED" = 0 ] && [ -d /run/netns ] && [ -z "$(ls -A /run/netns 2>/dev/null)" ]; then
    rmdir /run/netns 2>/dev/null
  fi
  if [ -n "${KEEP_WORK:-}" ]; then
    log "work dir kept: $WORK"
  else
    rm -rf "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

setup_net() {
  ip netns add "$NS_A"
  ip netns add "$NS_B"
  ip link add "$VETH_A" type veth peer name "$VETH_B"
  ip link set "$VETH_A" netns "$NS_A"
  ip link set "$VETH_B" netns "$NS_B"
  local ns dev ip
  for spec in "$NS_A $VETH_A $IP_A" "$NS_B $VETH_B $IP_B"; do
    read -r ns dev ip <<<"$spec"
    # no IPv6 (no link-local chatter), only the documentation address
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
    ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1"
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "$ip/24" dev "$dev"
    ip -n "$ns" link set "$dev" up
  done
}

write_confs() { # dir local_ip remote_ip local_id remote_id ike esp
  local dir=$1 lip=$2 rip=$3 lid=$4 rid=$5 ike=$6 esp=$7
  mkdir -p "$dir"
  cat >"$dir/strongswan.conf" <<EOF
# generated by interop/golden/capture.sh
charon {
  load = random nonce aes sha1 sha2 hmac gcm chapoly curve25519 openssl pem pkcs1 x509 pubkey gmp kdf kernel-libipsec kernel-netlink socket-default vici updown
  # kernel-libipsec requires UDP encapsulation: charon fakes NAT detection
  port = 500
  port_nat_t = 4500
  # nothing is routed through the tunnel; keep the namespaces' tables empty
  install_routes = no
  install_virtual_ip = no
  retransmit_tries = 3
  plugins {
    vici {
      socket = unix://$dir/charon.vici
    }
  }
  filelog {
    golden {
      path = $dir/charon.log
      append = no
      flush_line = yes
      time_format = %b %e %T
      time_add_ms = yes
      ike_name = yes
      log_level = yes
      default = 1
      ike = 4
      enc = 4
      cfg = 2
      chd = 4
      knl = 2
      net = 2
    }
  }
  syslog {
    daemon {
      default = -1
    }
  }
}
EOF
  cat >"$dir/swanctl.conf" <<EOF
# generated by interop/golden/capture.sh
connections {
  $CONN {
    version = 2
    local_addrs = $lip
    remote_addrs = $rip
    proposals = $ike
    rekey_time = 0
    reauth_time = 0
    dpd_delay = 0
    local {
      auth = psk
      id = $lid
    }
    remote {
      auth = psk
      id = $rid
    }
    children {
      $CHILD {
        mode = tunnel
        # SAs only, no IPsec policies: kernel-libipsec would otherwise need a
        # route whose source address lies inside local_ts (10.x), and the
        # namespaces deliberately carry no address but 192.0.2.x.  The SAs
        # are still negotiated and installed (in user space).
        policies = no
        local_ts = $8
        remote_ts = $9
        esp_proposals = $esp
        rekey_time = 0
        start_action = none
        dpd_action = none
        close_action = none
      }
    }
  }
}
secrets {
  ike-golden {
    id-i = $ID_I
    id-r = $ID_R
    secret = "$PSK"
  }
}
EOF
}

start_bg() { # sig-to-stop command...  (records PID)
  local sig=$1; shift
  "$@" &
  PIDS+=("$!")
  PID_SIGS+=("$sig")
}

start_charon() { # ns dir
  local ns=$1 dir=$2
  # Own mount namespace with a private tmpfs /run (charon's pid file path is
  # compiled in).  ip netns exec, unshare and sh all exec: $! is charon.
  start_bg TERM ip netns exec "$ns" unshare --mount --propagation private -- \
    sh -c 'mount -t tmpfs -o size=8m,mode=0755 s2s-golden-run /run && exec env STRONGSWAN_CONF="$1" /usr/lib/ipsec/charon' \
    sh "$dir/strongswan.conf" >"$dir/charon.stdout" 2>&1
  local i
  for i in $(seq 1 100); do
    if [ -S "$dir/charon.vici" ] && grep -q 'loaded plugins: ' "$dir/charon.log" 2>/dev/null; then
      # Golden data from a charon without its openssl or gcm plugin would record other algorithms.
      charon_plugins_check "$dir" || return 1
      return 0
    fi
    kill -0 "${PIDS[-1]}" 2>/dev/null || { cat "$dir/charon.stdout" >&2; return 1; }
    sleep 0.1
  done
  log "charon in $ns did not open its vici socket"
  return 1
}

sw() { # dir command args...  (swanctl wants the command first)
  local dir=$1 cmd=$2; shift 2
  swanctl "$cmd" --uri "unix://$dir/charon.vici" "$@"
}

wait_log() { # file pattern timeout-seconds
  local i
  for i in $(seq 1 $(( $3 * 10 ))); do
    grep -q -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

count_log() { grep -c -- "$2" "$1" 2>/dev/null || true; }

run_case() { # name ike esp extra
  local name=$1 ike=$2 esp=$3 extra=$4
  local cdir=$WORK/$name A=$WORK/$name/A B=$WORK/$name/B
  log "=== case $name: ike=$ike esp=$esp ${extra:+($extra)}"
  mkdir -p "$cdir"
  setup_net
  write_confs "$A" "$IP_A" "$IP_B" "$ID_I" "$ID_R" "$ike" "$esp" 10.1.0.0/24 10.2.0.0/24
  write_confs "$B" "$IP_B" "$IP_A" "$ID_R" "$ID_I" "$ike" "$esp" 10.2.0.0/24 10.1.0.0/24

  start_bg INT ip netns exec "$NS_A" tcpdump -i "$VETH_A" -n -U -s 0 -Z root \
    -w "$cdir/$name.pcap" 'udp port 500 or udp port 4500' 2>"$cdir/tcpdump.stderr"
  local i
  for i in $(seq 1 50); do
    grep -q 'listening on' "$cdir/tcpdump.stderr" 2>/dev/null && break
    sleep 0.1
  done

  start_charon "$NS_B" "$B"
  start_charon "$NS_A" "$A"
  sw "$B" --load-all --file "$B/swanctl.conf" >"$B/load.out" 2>&1
  sw "$A" --load-all --file "$A/swanctl.conf" >"$A/load.out" 2>&1

  local ok=1
  if ! sw "$A" --initiate --child "$CHILD" --timeout 20 >"$A/initiate.out" 2>&1; then
    log "initiate failed (see below); continuing with whatever was captured"
    tail -n 5 "$A/initiate.out" >&2 || true
    ok=0
  fi
  wait_log "$B/charon.log" "IKE_SA $CONN\[1\] established" 10 || ok=0

  if [ "$extra" = rekey ] && [ $ok = 1 ]; then
    local n
    n=$(count_log "$A/charon.log" 'CHILD_SA .* established')
    log "rekeying CHILD_SA (PFS)"
    sw "$A" --rekey --child "$CHILD" >"$A/rekey-child.out" 2>&1 || ok=0
    for i in $(seq 1 100); do
      [ "$(count_log "$A/charon.log" 'CHILD_SA .* established')" -gt "$n" ] && \
        grep -q 'closing CHILD_SA' "$A/charon.log" && break
      sleep 0.1
    done
    sleep 1
    log "rekeying IKE_SA"
    sw "$A" --rekey --ike "$CONN" >"$A/rekey-ike.out" 2>&1 || ok=0
    wait_log "$A/charon.log" "IKE_SA $CONN\[2\] rekeyed" 10 || ok=0
    wait_log "$B/charon.log" "IKE_SA $CONN\[2\] rekeyed" 10 || ok=0
    sleep 1
  fi
  sleep 1
  sw "$A" --list-sas >"$A/list-sas.out" 2>&1 || true
  sw "$B" --list-sas >"$B/list-sas.out" 2>&1 || true
  # orderly close: INFORMATIONAL DELETE exchange initiated by A
  sw "$A" --terminate --ike "$CONN" --timeout 10 >"$A/terminate.out" 2>&1 || true
  sleep 1
  teardown_case

  local rc=0
  "$PYTHON" "$SCRIPT_DIR/extract.py" case \
    --case "$name" --pcap "$cdir/$name.pcap" \
    --initiator-log "$A/charon.log" --responder-log "$B/charon.log" \
    --initiator-ip "$IP_A" --responder-ip "$IP_B" \
    --psk "$PSK" --id-i "$ID_I" --id-r "$ID_R" \
    --ike-proposal "$ike" --esp-proposal "$esp" \
    --strongswan-version "$SWAN_VERSION" --extra "${extra:-none}" \
    --date "$DATE" --out-dir "$OUT_DIR" || rc=$?
  if [ $rc != 0 ] || [ $ok != 1 ]; then
    log "case $name: NOT fully successful (extract rc=$rc); see the comments in $name.txt"
    FAILED+=("$name")
  fi
  return 0
}

mkdir -p "$OUT_DIR"
DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
FAILED=()
selected=("$@")
for spec in "${ALL_CASES[@]}"; do
  IFS='|' read -r name ike esp extra <<<"$spec"
  if [ "${#selected[@]}" -gt 0 ]; then
    keep=0
    for s in "${selected[@]}"; do [ "$s" = "$name" ] && keep=1; done
    [ $keep = 1 ] || continue
  fi
  run_case "$name" "$ike" "$esp" "$extra"
done
"$PYTHON" "$SCRIPT_DIR/extract.py" readme --out-dir "$OUT_DIR" \
  --strongswan-version "$SWAN_VERSION" --date "$DATE" \
  --command "interop/golden/capture.sh${*:+ $*}"
log "done; outputs in $OUT_DIR"
if [ "${#FAILED[@]}" -gt 0 ]; then
  log "cases with problems: ${FAILED[*]}"
  exit 1
fi
