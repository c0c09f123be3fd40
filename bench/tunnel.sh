#!/usr/bin/env bash
# Tunnel benchmark (issue #5; a measurement, not a test): the namespace lab of interop/lib/lab.sh
# (hostA - gwA - internet - gwB - hostB), iperf3 TCP hostA -> hostB, RUNS runs of SECONDS s, first through
# an s2s <-> s2s pair, then through a strongSwan <-> strongSwan pair (5.9.8, kernel-libipsec: ESP in user
# space as well), both with IKE aes256gcm16-prfsha384-ecp384 and ESP aes256gcm16, ESP in UDP 4500.
# Prints each run, both medians, their ratio, and the ping RTT through each tunnel (20 pings, 0.2 s apart).
#
#   sudo bench/tunnel.sh             # about 2.5 minutes
#   RUNS=3 SECONDS_PER_RUN=5 sudo bench/tunnel.sh
#
# Everything it creates is removed on exit, also after a failure or Ctrl-C; processes stop by PID.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../interop/lib/lab.sh
. "$HERE/../interop/lib/lab.sh"
RUNS=${RUNS:-5}
T=${SECONDS_PER_RUN:-10}

die() { echo "tunnel.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run it as root: it creates network namespaces"
lab_install || die "the install of the lab's packages failed (above)"
missing=$(lab_missing)
[ -z "$missing" ] || die "missing: $missing"

lab_init s2s-bench
trap lab_cleanup EXIT
trap 'exit 130' INT TERM

# Side A's and side B's settings; each writer sees the world from its own gateway.
side_a() { lab_reset_vars; S_START=start; C_LOCAL=192.0.2.1 C_REMOTE=192.0.2.2 C_ID=moon.s2s.test C_PEER_ID=sun.s2s.test C_LTS=10.1.0.0/24 C_RTS=10.2.0.0/24; }
side_b() { lab_reset_vars; S_LOCAL=192.0.2.2 S_REMOTE=192.0.2.1 S_ID=sun.s2s.test S_PEER_ID=moon.s2s.test S_LTS=10.2.0.0/24 S_RTS=10.1.0.0/24; }

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) exit 1; print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# Runs the iperf3 runs and the ping; sets RESULT_MEDIAN and RESULT_RTT.
measure() { # label
  local i mbps all=()
  wait_ping 20 || die "$1: no tunnel within 20 s"
  for i in $(seq "$RUNS"); do
    mbps=$(iperf_mbps "$T" "$LAB_WORK/$1-iperf-$i.json")
    [ -n "$mbps" ] || die "$1: iperf3 run $i failed: $(tail -3 "$LAB_WORK/$1-iperf-$i.json" | tr '\n' ' ')"
    echo "  $1 run $i: $mbps Mbit/s"
    all+=("$mbps")
  done
  RESULT_MEDIAN=$(printf '%s\n' "${all[@]}" | median)
  RESULT_RTT=$(ping_rtt 20) || die "$1: ping failed"
}

echo "tunnel.sh: iperf3 TCP hostA -> hostB, $RUNS x $T s per pair, aes256gcm16, $(nproc) cores"

# s2s <-> s2s
mkdir -p "$LAB_WORK/s2s-a" "$LAB_WORK/s2s-b"
lab_up none || die "could not build the lab"
side_b; write_s2s_conf "$LAB_WORK/s2s-b/s2s.json"
side_a; write_s2s_conf "$LAB_WORK/s2s-a/s2s.json"
s2s_start "$GB" "$LAB_WORK/s2s-b/s2s.json" "$LAB_WORK/s2s-b/s2s.log" || die "s2s on gwB did not start"
s2s_start "$GA" "$LAB_WORK/s2s-a/s2s.json" "$LAB_WORK/s2s-a/s2s.log" || die "s2s on gwA did not start"
measure s2s
S2S_MEDIAN=$RESULT_MEDIAN S2S_RTT=$RESULT_RTT
lab_down

# strongSwan <-> strongSwan
mkdir -p "$LAB_WORK/sw-a" "$LAB_WORK/sw-b"
lab_up none || die "could not build the lab"
side_a; write_charon_conf "$LAB_WORK/sw-a"
side_b; write_charon_conf "$LAB_WORK/sw-b"
charon_start "$GB" "$LAB_WORK/sw-b" || die "charon on gwB did not start"
charon_start "$GA" "$LAB_WORK/sw-a" || die "charon on gwA did not start"
swanctl_ "$LAB_WORK/sw-a" --initiate --child net --timeout 20 >"$LAB_WORK/sw-a/initiate.out" 2>&1 ||
  die "strongSwan pair: swanctl --initiate failed: $(tail -1 "$LAB_WORK/sw-a/initiate.out")"
measure strongswan
SW_MEDIAN=$RESULT_MEDIAN SW_RTT=$RESULT_RTT
lab_down

echo
printf '%-26s %12s %16s %14s\n' "tunnel" "median Mbit/s" "RTT median ms" "RTT avg ms"
printf '%-26s %12s %16s %14s\n' "s2s <-> s2s" "$S2S_MEDIAN" ${S2S_RTT}
printf '%-26s %12s %16s %14s\n' "strongSwan <-> strongSwan" "$SW_MEDIAN" ${SW_RTT}
awk -v a="$S2S_MEDIAN" -v b="$SW_MEDIAN" 'BEGIN { printf "ratio s2s / strongSwan: %.2f\n", a / b }'
