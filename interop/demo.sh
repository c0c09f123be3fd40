#!/usr/bin/env bash
# The one-command demo: sudo ./interop/demo.sh
#
# Builds s2s if needed, brings up the namespace lab of interop/lib/lab.sh (hostA - gwA running s2s -
# internet - gwB running strongSwan 5.9.8 - hostB), shows `s2s status` and strongSwan's
# `swanctl --list-sas` side by side, pings hostB from hostA through the tunnel, says where to look next
# and tears everything down (also after a failure or Ctrl-C).
#
#   sudo ./interop/demo.sh           # the whole tour, about 15 s once built
#   sudo ./interop/demo.sh --hold    # keep the lab up until Enter, to look around (commands are printed)
#   sudo ./interop/demo.sh --teach   # follow one ping through the encryption path: s2s trace, s2s's capture of the
#                                    # wire and tshark's decryption of it with s2s's Wireshark keys (docs/encryption-path.md)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/lab.sh
. "$HERE/lib/lab.sh"
HOLD=0 TEACH=0
case "${1:-}" in
  --hold) HOLD=1 ;;
  --teach) TEACH=1 ;;
  "") ;;
  *) echo "demo: unknown option '$1'; valid: --hold, --teach" >&2; exit 2 ;;
esac

bold() { if [ -t 1 ]; then printf '\n\033[1m== %s\033[0m\n' "$*"; else printf '\n== %s\n' "$*"; fi; }
die() { echo "demo: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run it as root (sudo ./interop/demo.sh): it creates network namespaces and TUN devices"
lab_install || die "the install of strongSwan and the lab's tools failed (above)"

# Build when the program is missing or older than any source file.
if [ ! -f "$S2S_DLL" ] || [ -n "$(find "$LAB_ROOT/src" \( -name '*.cs' -o -name '*.csproj' \) -newer "$S2S_DLL" -print -quit)" ]; then
  bold "building s2s (dotnet build -c Release)"
  # As the user who ran sudo, when there is one, so that bin/ and obj/ stay theirs.
  as_user=()
  [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ] && as_user=(sudo -u "$SUDO_USER" --preserve-env=PATH,DOTNET_ROOT)
  (cd "$LAB_ROOT" && "${as_user[@]}" dotnet build -c Release S2SEndpoint.sln --nologo -v quiet -clp:ErrorsOnly) || die "the build failed"
fi
missing=$(lab_missing)
[ -z "$missing" ] || die "missing: $missing"

# --teach: one ping through the encryption path, as docs/encryption-path.md walks it. s2s trace follows it through
# gwA step by step, s2s capture writes the WAN side (UDP 500 and 4500) in gwA while hostA pings once; tshark opens the
# ESP with the keys s2s wrote for it.
teach() {
  local s2s=(ip netns exec "$GA" dotnet "$S2S_DLL")
  # The kernel's IPv6 router solicitations out of s2s0 would be traced too (dropped: no policy holds them).
  ip netns exec "$GA" sysctl -qw net.ipv6.conf.s2s0.router_solicitations=0 2>/dev/null
  bold "one ping, followed through gwA by s2s trace and captured on its WAN side by s2s capture"
  "${s2s[@]}" trace --count 2 --control "$D/s2s.ctl" >"$D/trace.out" 2>&1 &
  local trace=$!
  "${s2s[@]}" capture --wan --write "$D/wan.pcap" --count 2 --seconds 15 >"$D/capture.out" 2>&1 &
  local capture=$!
  LAB_PIDS+=("$trace" "$capture")
  # Both open their ends while dotnet starts: give them 3 s, then ping once a second until each has both packets.
  sleep 3
  for _ in $(seq 12); do
    kill -0 "$capture" 2>/dev/null || kill -0 "$trace" 2>/dev/null || break
    ip netns exec "$HA" ping -n -c 1 -W 1 10.2.0.10 >/dev/null 2>&1
    sleep 1
  done
  lab_stop "$capture"
  lab_stop "$trace"
  bold "s2s trace: the echo request from hostA out through the tunnel, the echo reply back in"
  cat "$D/trace.out"
  cat "$D/capture.out"
  mkdir -p "$D/wireshark" && cp "$D/keys/esp_sa" "$D/keys/ikev2_decryption_table" "$D/wireshark/"
  local tshark=(env WIRESHARK_CONFIG_DIR="$D/wireshark" tshark -r "$D/wan.pcap" -o esp.enable_encryption_decode:TRUE -o esp.enable_authentication_check:TRUE)
  bold "the echo request on the wire, octet by octet (tshark -x): outer IPv4 | UDP 4500 | ESP header | IV | ciphertext | ICV"
  "${tshark[@]}" -c 1 -x 2>/dev/null | sed -n '/^0000/,$p'
  bold "the same packet as tshark reads it with s2s's Wireshark keys (tshark -V, the ESP layer and what it carried)"
  "${tshark[@]}" -c 1 -V 2>/dev/null | sed -n '/^User Datagram Protocol/,$p'
  echo "  (keys: $D/keys; docs/encryption-path.md explains each field and offset)"
}

lab_init s2s-demo
trap lab_cleanup EXIT
trap 'exit 130' INT TERM
D=$LAB_WORK
lab_reset_vars

bold "the lab: hostA 10.1.0.10 - gwA (s2s) 192.0.2.1 === 192.0.2.2 gwB (strongSwan) - hostB 10.2.0.10"
lab_up none || die "could not build the namespace lab"
echo "namespaces: $HA $GA $GB $HB"
S_START=start S_PROPOSALS="aes256gcm16-prfsha384-ecp384" S_ESP="aes256gcm16"
# --teach: s2s keeps Wireshark's key tables in $D/keys, so that tshark can open what s2s capture writes.
[ $TEACH -eq 1 ] && S_EXTRA_GW=", \"wireshark_keys\": \"$D/keys\""
write_s2s_conf "$D/s2s.json"
write_charon_conf "$D"
echo "s2s configuration ($D/s2s.json):"
sed 's/"secret": "[^"]*"/"secret": "(hidden)"/; s/^/  /' "$D/s2s.json"

bold "starting strongSwan in $GB and s2s in $GA"
charon_start "$GB" "$D" || die "strongSwan is not usable here (the line above); see $D/charon.log"
s2s_start "$GA" "$D/s2s.json" "$D/s2s.log" || die "s2s did not start; see $D/s2s.log"
wait_ping 20 || { tail -n 20 "$D/s2s.log"; die "no tunnel within 20 s"; }
grep -E "IKE SA established|CHILD_SA .* established" "$D/s2s.log" | sed 's/^/  s2s: /'

bold "s2s status (left) and strongSwan's swanctl --list-sas (right)"
if ! ip netns exec "$GA" dotnet "$S2S_DLL" status --control "$D/s2s.ctl" >"$D/status.out" 2>&1; then
  {
    echo "[s2s status is not available in this build:"
    echo " $(head -1 "$D/status.out")]"
    echo "s2s's log instead:"
    grep -E "established|rekeyed" "$D/s2s.log" | cut -d' ' -f3- | fold -w 76
  } >"$D/status.alt"
  mv "$D/status.alt" "$D/status.out"
fi
swanctl_ "$D" --list-sas >"$D/sas.out" 2>&1
paste <(expand "$D/status.out") <(expand "$D/sas.out") | awk -F '\t' '{ printf "%-86.86s | %s\n", $1, $2 }'

bold "ping hostB (10.2.0.10) from hostA (10.1.0.10) through the tunnel"
ip netns exec "$HA" ping -n -c 5 -i 0.3 10.2.0.10

if [ $TEACH -eq 1 ]; then
  teach
fi

bold "where to look next"
cat <<EOF
  README.md, "Running a gateway" and "Configuration": how s2s is run and configured
  interop/README.md: this lab, the interop suite (sudo interop/run.sh) and its scenarios
  s2s's log:             $D/s2s.log
  strongSwan's log:      $D/charon.log
  configurations:        $D/s2s.json, $D/swanctl.conf, $D/strongswan.conf
EOF
if [ $HOLD -eq 1 ]; then
  cat <<EOF

The lab stays up until you press Enter. Try, as root:
  ip netns exec $HA ping 10.2.0.10
  ip netns exec $GA dotnet $S2S_DLL status --control $D/s2s.ctl
  swanctl --list-sas --uri unix://$D/charon.vici
  ip netns exec $GB tcpdump -ni wan0 udp port 4500
EOF
  read -r _
else
  echo "  (the files above are removed with the lab; run with --hold to keep it up, or KEEP_WORK=1 to keep the files)"
fi
bold "tearing down"
