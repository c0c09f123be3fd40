#!/usr/bin/env bash
# Tunnel benchmark (issue "Performance", "A fair benchmark first"; a measurement, not a test). The namespace lab of
# interop/lib/lab.sh (hostA - gwA - internet - gwB - hostB, veths), iperf3 TCP hostA -> hostB (one stream), in one run:
#
#   plain routing, offloads on     the gateways route 10.1.0.0/24 <-> 10.2.0.0/24 over the WAN, no tunnel
#   plain routing, offloads off    the same with tso, gso and gro off on every veth of the lab (ethtool -K)
#   s2s <-> s2s                    s2s on both gateways (its "offload" setting as S2S_OFFLOAD says: unset, s2s's default)
#   s2s <-> s2s, offload off       the same with "offload": false (BENCH_OFFLOAD_OFF=1, the default)
#   strongSwan <-> strongSwan      charon 5.9.8 on both, kernel-libipsec: ESP in user space too
#   s2s (gwA) <-> strongSwan (gwB) mixed, s2s initiates
#   strongSwan (gwA) <-> s2s (gwB) mixed the other way round, charon initiates (BENCH_REVERSE=1, the default)
#
# Every tunnel: IKE aes256gcm16-prfsha384-ecp384, ESP aes256gcm16 in UDP 4500. Each charon must have loaded openssl
# before its software crypto plugins (aes, gcm, ...), and each algorithm it negotiated must be served by openssl
# (swanctl --list-algs names the plugin charon takes each algorithm from); otherwise the run stops.
# Per path: an iperf3 warm-up of WARMUP_SECONDS s (2; not counted), RUNS iperf3 runs of SECONDS_PER_RUN s (3 of 8;
# the median counts), then PINGS pings PING_INTERVAL s apart (20, 0.05; RTT avg and median), and the CPU time (utime +
# stime from /proc/PID/stat) each gateway process (s2s's dotnet, charon) spent over the counted iperf3 runs, divided by
# the Gbit iperf3 received. Ends with one table and the machine it ran on.
#
#   sudo bench/tunnel.sh                         # about 5 minutes
#   RUNS=5 SECONDS_PER_RUN=10 sudo bench/tunnel.sh
#   BENCH_OFFLOAD_OFF=0 BENCH_REVERSE=0 sudo bench/tunnel.sh
#
# An s2s that refuses "offload": false (a build whose config loader does not know the key yet) leaves its row empty
# and makes the script exit 1 after the table. Everything it creates is removed on exit, also after a failure or
# Ctrl-C; processes stop by PID.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../interop/lib/lab.sh
. "$HERE/../interop/lib/lab.sh"
RUNS=${RUNS:-3}
T=${SECONDS_PER_RUN:-8}
WARMUP=${WARMUP_SECONDS:-2}
PINGS=${PINGS:-20}
PING_INTERVAL=${PING_INTERVAL:-0.05}
BENCH_OFFLOAD_OFF=${BENCH_OFFLOAD_OFF:-1}
BENCH_REVERSE=${BENCH_REVERSE:-1}
# The plugins that do in software what openssl does with AES-NI and friends: openssl must come before every one.
SOFT_CRYPTO="aes des sha1 sha2 md5 hmac gcm ccm ctr chapoly curve25519 gmp"

die() { echo "tunnel.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run it as root: it creates network namespaces"
for v in RUNS T PINGS; do [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v is '${!v}'; it must be a whole number above 0"; done
[[ $WARMUP =~ ^[0-9]+$ ]] || die "WARMUP_SECONDS is '$WARMUP'; it must be a whole number of seconds (0: no warm-up)"
[[ $PING_INTERVAL =~ ^[0-9]*\.?[0-9]+$ ]] || die "PING_INTERVAL is '$PING_INTERVAL'; it must be seconds, such as 0.05"
lab_install || die "the install of the lab's packages failed (above)"
missing=$(lab_missing)
command -v ethtool >/dev/null 2>&1 || missing="${missing:+$missing, }no ethtool"
[ -z "$missing" ] || die "missing: $missing"
TCK=$(getconf CLK_TCK)

# Side A's and side B's settings; each writer sees the world from its own gateway.
side_a() { lab_reset_vars; S_START=start; C_LOCAL=192.0.2.1 C_REMOTE=192.0.2.2 C_ID=moon.s2s.test C_PEER_ID=sun.s2s.test C_LTS=10.1.0.0/24 C_RTS=10.2.0.0/24; }
side_b() { lab_reset_vars; S_LOCAL=192.0.2.2 S_REMOTE=192.0.2.1 S_ID=sun.s2s.test S_PEER_ID=moon.s2s.test S_LTS=10.2.0.0/24 S_RTS=10.1.0.0/24; }

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) exit 1; print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# utime + stime of a process, in clock ticks, all its threads (fields 14 and 15 of /proc/PID/stat, counted after the
# command name, which may hold spaces).
cpu_ticks() { # pid
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  s=${s##*) }
  awk '{ print $12 + $13 }' <<<"$s"
}

# The gateway process must be the daemon itself (ip netns exec, unshare, sh and env exec, none forks), or its CPU
# time would be a wrapper's.
check_comm() { # label pid comm
  local c
  c=$(cat "/proc/$2/comm" 2>/dev/null)
  [ "$c" = "$3" ] || die "$1: PID $2 is '$c', not $3: its CPU time would not be the gateway's"
}

# Plain routing: each gateway routes the other LAN over the WAN; nothing else runs.
plain_routes() {
  ip -n "$GA" route add 10.2.0.0/24 via 192.0.2.2 && ip -n "$GB" route add 10.1.0.0/24 via 192.0.2.1
}

# tso, gso and gro off on every veth of the lab (lab_up none), and checked.
offloads_off() {
  local nd ns dev k
  for nd in "$HA lan0" "$GA lan0" "$GA wan0" "$GB wan0" "$GB lan0" "$HB lan0"; do
    read -r ns dev <<<"$nd"
    ip netns exec "$ns" ethtool -K "$dev" tso off gso off gro off || return 1
    k=$(ip netns exec "$ns" ethtool -k "$dev")
    for f in tcp-segmentation-offload generic-segmentation-offload generic-receive-offload; do
      grep -q "^$f: off" <<<"$k" || { echo "$ns $dev: $f still on after ethtool -K" >&2; return 1; }
    done
  done
}

# 'loaded plugins:' in charon's log must list openssl before every software crypto plugin it loaded.
charon_openssl_first() { # label dir
  local got p i=0 at_openssl="" early=()
  got=$(sed -nE 's/.*loaded plugins: //p' "$2/charon.log" | tail -n 1)
  for p in $got; do
    i=$((i + 1))
    [ "$p" = openssl ] && at_openssl=$i && break
    [[ " $SOFT_CRYPTO " == *" $p "* ]] && early+=("$p")
  done
  [ -n "$at_openssl" ] || die "$1: charon did not load openssl (loaded plugins: $got)"
  [ ${#early[@]} -eq 0 ] || die "$1: charon loaded ${early[*]} before openssl (loaded plugins: $got): it would encrypt in software"
}

# Each algorithm of the IKE and ESP proposals charon selected (its log, cfg level 2) must be served by openssl:
# swanctl --list-algs names, per algorithm, the plugin charon takes it from (the first registered).
charon_openssl_algs() { # label dir
  local d=$2 algs ike="" esp="" a name plugin
  for _ in $(seq 50); do
    ike=$(sed -nE 's/.*selected proposal: IKE:([^ ]+).*/\1/p' "$d/charon.log" | tail -n 1)
    esp=$(sed -nE 's/.*selected proposal: ESP:([^ ]+).*/\1/p' "$d/charon.log" | tail -n 1)
    [ -n "$ike" ] && [ -n "$esp" ] && break
    sleep 0.1
  done
  [ -n "$ike" ] && [ -n "$esp" ] || die "$1: no 'selected proposal' for IKE and ESP in $d/charon.log"
  algs=$(swanctl_ "$d" --list-algs) || die "$1: swanctl --list-algs failed"
  for a in ${ike//\// } ${esp//\// }; do
    case $a in NO_EXT_SEQ|EXT_SEQ) continue ;; esac
    # AES_GCM_16_256 is listed as AES_GCM_16 (the key size is no algorithm of its own); ECP_384 as ECP_384.
    for name in "$a" "${a%_[0-9]*}"; do
      plugin=$(sed -nE "s/^  $name\[([^]]+)\]\$/\1/p" <<<"$algs" | head -n 1)
      [ -n "$plugin" ] && break
    done
    [ -n "$plugin" ] || die "$1: swanctl --list-algs lists no $a"
    [ "$plugin" = openssl ] || die "$1: charon takes $a from its $plugin plugin, not from openssl"
  done
  CHARON_ALGS="IKE $ike and ESP $esp"
}

charon_verify() { # label dir
  charon_openssl_first "$@" && charon_openssl_algs "$@" &&
    echo "  $1: charon loaded openssl before its software crypto plugins; $CHARON_ALGS come from openssl"
}

# Runs the iperf3 runs and the pings; takes the CPU time of the gateway processes (PIDs, or empty) around the iperf3
# runs. Adds a row.
ROWS=()
measure() { # label key pid-gwA pid-gwB
  local label=$1 key=$2 pa=$3 pb=$4 i mbps all=() bytes=0 b a0="" b0="" a1 b1 rtt cpu_a=- cpu_b=- gbit
  wait_ping 20 || die "$label: no path hostA -> hostB within 20 s"
  # Not counted: s2s's hot path leaves .NET's first JIT tier, and every path gets the same warm-up.
  if [ "$WARMUP" -gt 0 ]; then
    [ -n "$(iperf_mbps "$WARMUP" "$LAB_WORK/$key-warmup.json")" ] ||
      die "$label: the iperf3 warm-up failed: $(tail -3 "$LAB_WORK/$key-warmup.json" | tr '\n' ' ')"
  fi
  if [ -n "$pa" ]; then a0=$(cpu_ticks "$pa") || die "$label: the gateway on gwA (PID $pa) is gone"; fi
  if [ -n "$pb" ]; then b0=$(cpu_ticks "$pb") || die "$label: the gateway on gwB (PID $pb) is gone"; fi
  for i in $(seq "$RUNS"); do
    mbps=$(iperf_mbps "$T" "$LAB_WORK/$key-iperf-$i.json")
    [ -n "$mbps" ] || die "$label: iperf3 run $i failed: $(tail -3 "$LAB_WORK/$key-iperf-$i.json" | tr '\n' ' ')"
    b=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["end"]["sum_received"]["bytes"])' "$LAB_WORK/$key-iperf-$i.json")
    echo "  $label, run $i: $mbps Mbit/s"
    all+=("$mbps")
    bytes=$((bytes + b))
  done
  gbit=$(awk -v b="$bytes" 'BEGIN { printf "%.3f", b * 8 / 1e9 }')
  if [ -n "$pa" ]; then a1=$(cpu_ticks "$pa") || die "$label: the gateway on gwA (PID $pa) is gone"; cpu_a=$(awk -v d=$((a1 - a0)) -v t="$TCK" -v g="$gbit" 'BEGIN { printf "%.2f", d / t / g }'); fi
  if [ -n "$pb" ]; then b1=$(cpu_ticks "$pb") || die "$label: the gateway on gwB (PID $pb) is gone"; cpu_b=$(awk -v d=$((b1 - b0)) -v t="$TCK" -v g="$gbit" 'BEGIN { printf "%.2f", d / t / g }'); fi
  rtt=$(ping_rtt "$PINGS" "$PING_INTERVAL") || die "$label: no ping came back"
  echo "  $label: median $(printf '%s\n' "${all[@]}" | median) Mbit/s, $gbit Gbit in all; RTT median/avg $rtt ms; CPU s/Gbit gwA $cpu_a, gwB $cpu_b"
  # label | median | rtt median | rtt avg | cpu A | cpu B
  ROWS+=("$label|$(printf '%s\n' "${all[@]}" | median)|${rtt% *}|${rtt#* }|$cpu_a|$cpu_b")
}

# A row that could not be measured, with the reason after the table.
NOTES=()
skip_row() { # label reason
  ROWS+=("$1|||||")
  NOTES+=("$1: $2")
}

# s2s on both gateways; the caller's S2S_OFFLOAD, or the one given.
s2s_pair() { # label key [S2S_OFFLOAD]
  local label=$1 k=$2 pa pb
  [ $# -ge 3 ] && local S2S_OFFLOAD=$3
  mkdir -p "$LAB_WORK/$k-a" "$LAB_WORK/$k-b"
  lab_up none || die "$label: could not build the lab"
  side_b; write_s2s_conf "$LAB_WORK/$k-b/s2s.json" || die "$label: could not write gwB's configuration"
  side_a; write_s2s_conf "$LAB_WORK/$k-a/s2s.json" || die "$label: could not write gwA's configuration"
  if ! s2s_start "$GB" "$LAB_WORK/$k-b/s2s.json" "$LAB_WORK/$k-b/s2s.log" 2>"$LAB_WORK/$k-b/start.err"; then
    [ -n "${S2S_OFFLOAD:-}" ] || die "$label: s2s on gwB: $(cat "$LAB_WORK/$k-b/start.err")"
    # Most likely an s2s whose config loader does not know "offload" yet: the other rows still count.
    skip_row "$label" "s2s on gwB did not start with S2S_OFFLOAD=$S2S_OFFLOAD ($(grep -o '"offload": [a-z]*' "$LAB_WORK/$k-b/s2s.json")): $(cat "$LAB_WORK/$k-b/start.err")"
    lab_down
    return
  fi
  pb=$S2S_PID
  s2s_start "$GA" "$LAB_WORK/$k-a/s2s.json" "$LAB_WORK/$k-a/s2s.log" || die "$label: s2s on gwA did not start"
  pa=$S2S_PID
  check_comm "$label, gwA" "$pa" dotnet; check_comm "$label, gwB" "$pb" dotnet
  measure "$label" "$k" "$pa" "$pb"
  lab_down
}

# The benchmark runs in a child shell that the script waits for with `wait`: a shell waiting for a foreground command
# ignores a Ctrl-C that the command survives (iperf3 and ping catch SIGINT and exit normally; timeout runs its command
# in a process group of its own), but `wait` returns at once and runs the trap. The child ignores SIGINT; the script
# turns INT, TERM and HUP into a TERM for the child, whose trap exits, after its foreground command (iperf3 at most
# SECONDS_PER_RUN + 15 s), and its EXIT trap removes everything (lab_cleanup).
bench() {
  lab_init s2s-bench
  trap lab_cleanup EXIT
  trap 'exit 130' TERM
  trap '' INT HUP

  echo "tunnel.sh: iperf3 TCP hostA -> hostB, $WARMUP s warm-up and $RUNS x $T s per path, $PINGS pings ${PING_INTERVAL} s apart; tunnels aes256gcm16"
  LOAD_BEFORE=$(cut -d ' ' -f 1-3 /proc/loadavg)

  # Plain routing, veth offloads on (the kernel's defaults), then off.
  lab_up none && plain_routes || die "plain routing: could not build the lab"
  measure "plain routing, offloads on" plain-on "" ""
  lab_down
  lab_up none && plain_routes || die "plain routing: could not build the lab"
  offloads_off || die "plain routing: could not turn the veths' offloads off"
  measure "plain routing, offloads off" plain-off "" ""
  lab_down

  # s2s <-> s2s
  s2s_label="s2s <-> s2s${S2S_OFFLOAD:+, offload $S2S_OFFLOAD}"
  s2s_pair "$s2s_label" s2s
  [ "$BENCH_OFFLOAD_OFF" = 1 ] && s2s_pair "s2s <-> s2s, offload off" s2s-off off

  # strongSwan <-> strongSwan
  mkdir -p "$LAB_WORK/sw-a" "$LAB_WORK/sw-b"
  lab_up none || die "strongSwan pair: could not build the lab"
  side_a; write_charon_conf "$LAB_WORK/sw-a"
  side_b; write_charon_conf "$LAB_WORK/sw-b"
  charon_start "$GB" "$LAB_WORK/sw-b" || die "strongSwan pair: charon on gwB did not start"
  pb=$CHARON_PID
  charon_start "$GA" "$LAB_WORK/sw-a" || die "strongSwan pair: charon on gwA did not start"
  pa=$CHARON_PID
  check_comm "strongSwan pair, gwA" "$pa" charon; check_comm "strongSwan pair, gwB" "$pb" charon
  swanctl_ "$LAB_WORK/sw-a" --initiate --child net --timeout 20 >"$LAB_WORK/sw-a/initiate.out" 2>&1 ||
    die "strongSwan pair: swanctl --initiate failed: $(tail -1 "$LAB_WORK/sw-a/initiate.out")"
  charon_verify "strongSwan pair, gwA" "$LAB_WORK/sw-a"
  charon_verify "strongSwan pair, gwB" "$LAB_WORK/sw-b"
  measure "strongSwan <-> strongSwan" sw "$pa" "$pb"
  lab_down

  # s2s on gwA (initiator) <-> charon on gwB
  mkdir -p "$LAB_WORK/mx-a" "$LAB_WORK/mx-b"
  lab_up none || die "mixed: could not build the lab"
  lab_reset_vars; write_charon_conf "$LAB_WORK/mx-b"
  lab_reset_vars; S_START=start; write_s2s_conf "$LAB_WORK/mx-a/s2s.json" || die "mixed: could not write gwA's configuration"
  charon_start "$GB" "$LAB_WORK/mx-b" || die "mixed: charon on gwB did not start"
  pb=$CHARON_PID
  s2s_start "$GA" "$LAB_WORK/mx-a/s2s.json" "$LAB_WORK/mx-a/s2s.log" || die "mixed: s2s on gwA did not start"
  pa=$S2S_PID
  check_comm "mixed, gwA" "$pa" dotnet; check_comm "mixed, gwB" "$pb" charon
  wait_ping 20 || die "mixed: no tunnel within 20 s"
  charon_verify "mixed, gwB" "$LAB_WORK/mx-b"
  measure "s2s (gwA) <-> strongSwan (gwB)" mx "$pa" "$pb"
  lab_down

  # charon on gwA (initiator) <-> s2s on gwB
  if [ "$BENCH_REVERSE" = 1 ]; then
    mkdir -p "$LAB_WORK/rx-a" "$LAB_WORK/rx-b"
    lab_up none || die "mixed, reversed: could not build the lab"
    side_a; write_charon_conf "$LAB_WORK/rx-a"
    side_b; write_s2s_conf "$LAB_WORK/rx-b/s2s.json" || die "mixed, reversed: could not write gwB's configuration"
    s2s_start "$GB" "$LAB_WORK/rx-b/s2s.json" "$LAB_WORK/rx-b/s2s.log" || die "mixed, reversed: s2s on gwB did not start"
    pb=$S2S_PID
    charon_start "$GA" "$LAB_WORK/rx-a" || die "mixed, reversed: charon on gwA did not start"
    pa=$CHARON_PID
    check_comm "mixed, reversed, gwA" "$pa" charon; check_comm "mixed, reversed, gwB" "$pb" dotnet
    swanctl_ "$LAB_WORK/rx-a" --initiate --child net --timeout 20 >"$LAB_WORK/rx-a/initiate.out" 2>&1 ||
      die "mixed, reversed: swanctl --initiate failed: $(tail -1 "$LAB_WORK/rx-a/initiate.out")"
    charon_verify "mixed, reversed, gwA" "$LAB_WORK/rx-a"
    measure "strongSwan (gwA) <-> s2s (gwB)" rx "$pa" "$pb"
    lab_down
  fi

  # The table: ratios against the strongSwan pair and plain routing with offloads on.
  row_median() { local r; for r in "${ROWS[@]}"; do [ "${r%%|*}" = "$1" ] && { r=${r#*|}; echo "${r%%|*}"; return; }; done; }
  SW=$(row_median "strongSwan <-> strongSwan")
  PLAIN=$(row_median "plain routing, offloads on")
  echo
  printf '%-32s %9s %10s %9s %9s %9s %12s %12s\n' "path" "Mbit/s" "/ sw pair" "% plain" "RTT avg" "RTT med" "CPU s/Gbit" "CPU s/Gbit"
  printf '%-32s %9s %10s %9s %9s %9s %12s %12s\n' "" "median" "" "" "ms" "ms" "gwA" "gwB"
  for r in "${ROWS[@]}"; do
    IFS='|' read -r label med rmed ravg ca cb <<<"$r"
    if [ -z "$med" ]; then
      printf '%-32s %9s %10s %9s %9s %9s %12s %12s\n' "$label" "(none)" "" "" "" "" "" ""
      continue
    fi
    awk -v l="$label" -v m="$med" -v s="$SW" -v p="$PLAIN" -v ra="$ravg" -v rm="$rmed" -v a="$ca" -v b="$cb" 'BEGIN {
      printf "%-32s %9.0f %10.2f %8.1f%% %9.3f %9.3f %12s %12s\n", l, m, m / s, 100 * m / p, ra, rm, a, b }'
  done
  echo
  echo "machine: $(sed -nE 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(nproc) cores, kernel $(uname -r), $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "load average (1, 5, 15 min): $LOAD_BEFORE before, $(cut -d ' ' -f 1-3 /proc/loadavg) after"
  echo "versions: strongSwan $(dpkg-query -W -f='${Version}' strongswan-charon), OpenSSL $(dpkg-query -W -f='${Version}' libssl3), iperf3 $(dpkg-query -W -f='${Version}' iperf3), .NET $(dotnet --list-runtimes | sed -nE 's/^Microsoft.NETCore.App ([^ ]+).*/\1/p' | tail -n 1)"
  if [ ${#NOTES[@]} -gt 0 ]; then
    echo
    for n in "${NOTES[@]}"; do echo "not measured: $n" >&2; done
    exit 1
  fi
}

bench &
BENCH_PID=$!
trap 'kill -TERM "$BENCH_PID" 2>/dev/null' INT TERM HUP
while :; do
  wait "$BENCH_PID"
  rc=$?
  kill -0 "$BENCH_PID" 2>/dev/null || break
done
exit "$rc"
