#!/usr/bin/env bash
# The self-test of interop/lib/strongswan6.sh: sudo interop/swan6-check.sh
#
# Builds (once) the Debian 13 root filesystem with strongSwan 6.0 (interop/lib/strongswan6.sh, cached in
# /var/cache/s2s-interop/trixie-swan6), starts charon 6 from it in ONE network namespace with a connection whose IKE
# proposal is a hybrid key exchange (aes256-sha256-x25519-ke1_ecp384-ke2_modp3072; no peer needed), checks with
# swanctl --list-conns that it loaded, prints swanctl's and charon's versions and the key exchange methods charon
# offers (saying whether ML-KEM is among them), cleans up (namespace, mounts, processes) and prints PASS or FAIL.
# Bounded: it runs under timeout(1), SWAN6_CHECK_TIMEOUT (default 900) s, the root filesystem's first build (at most
# 600 s) included; on the deadline its trap cleans up as after a failure.
set -uo pipefail
if [ -z "${SWAN6_CHECK_INNER:-}" ]; then
  exec env SWAN6_CHECK_INNER=1 timeout -k 60 "${SWAN6_CHECK_TIMEOUT:-900}" bash "$0" "$@"
fi
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/lab.sh
. "$HERE/lib/lab.sh"
# shellcheck source=lib/strongswan6.sh
. "$HERE/lib/strongswan6.sh"

FAILED=""
fail() { FAILED="${FAILED:+$FAILED; }$*"; echo "swan6-check: $*" >&2; }
finish() {
  swan6_charon_stop
  lab_cleanup
  if [ -z "$FAILED" ]; then echo "PASS"; else echo "FAIL: $FAILED"; exit 1; fi
}

[ "$(id -u)" -eq 0 ] || { echo "FAIL: run it as root (it builds a root filesystem and creates a network namespace)"; exit 1; }
trap finish EXIT
trap 'fail "interrupted or timed out"; exit 1' INT TERM

for tool in ip unshare chroot timeout; do command -v "$tool" >/dev/null || { fail "no $tool"; exit 1; }; done
lab_init s2s-swan6

t0=$SECONDS
swan6_rootfs || { fail "root filesystem"; exit 1; }
echo "root filesystem: $SWAN6_ROOT ($((SECONDS - t0)) s; $(head -n 1 "$SWAN6_STAMP"))"
sed -n '2,$s/^/  /p' "$SWAN6_STAMP"

NS=s2s-swan6-$LAB_TAG D=$LAB_WORK/charon6
mkdir -p "$D"
lab_ns "$NS" || { fail "could not create namespace $NS"; exit 1; }
ip -n "$NS" addr add 192.0.2.2/24 dev lo ||
  { fail "could not add an address in $NS"; exit 1; }

lab_reset_vars
GWB_ADDR=192.0.2.2 GWA_SEEN=192.0.2.1
C_PROPOSALS=aes256-sha256-x25519-ke1_ecp384-ke2_modp3072 C_ESP=aes256gcm16-x25519-ke1_ecp384
swan6_write_conf "$D" || { fail "swan6_write_conf"; exit 1; }
t0=$SECONDS
swan6_charon_start "$NS" "$D" || { fail "charon 6 did not start as asked (log $D/charon.log)"; KEEP_WORK=1; exit 1; }
echo "charon 6 up in $NS ($((SECONDS - t0)) s), PID $SWAN6_PID; loaded plugins: $(sed -nE 's/.*loaded plugins: //p' "$D/charon.log" | tail -n 1)"
grep -m 1 -oE 'Starting IKE charon daemon \(strongSwan [^)]*\)' "$D/charon.log" || fail "no version line in charon's log"
swan6_swanctl "$D" --version 2>&1 | sed 's/^/swanctl --version: /'

echo "== swanctl --list-conns"
conns=$(swan6_swanctl "$D" --list-conns 2>&1)
echo "$conns"
grep -q '^gw: IKEv2' <<<"$conns" || fail "connection gw not in swanctl --list-conns"
# vici's list-conns gives no proposals; charon logs the ones it parsed when it loaded the connection (cfg level 2).
echo "== the proposals charon parsed (charon.log)"
grep -oE '(ike|esp)?_?proposals = (IKE|ESP):.*' "$D/charon.log" | sort -u
grep -q 'proposals = IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519/KE1_ECP_384/KE2_MODP_3072' "$D/charon.log" ||
  fail "charon did not log the hybrid IKE proposal CURVE_25519/KE1_ECP_384/KE2_MODP_3072"

echo "== swanctl --list-algs: key exchange methods"
algs=$(swan6_swanctl "$D" --list-algs 2>&1)
ke=$(awk '/^(ke|dh):/ {on=1; print; next} /^[a-z0-9_-]+:/ {on=0} on' <<<"$algs")
[ -n "$ke" ] || { fail "no key exchange section in swanctl --list-algs"; echo "$algs"; }
echo "$ke"
if grep -qi 'ML_KEM' <<<"$ke"; then
  echo "ML-KEM: offered ($(grep -oiE 'ML_KEM_[0-9]+\[[^]]*\]' <<<"$ke" | tr '\n' ' '))"
else
  echo "ML-KEM: not offered (Debian 13's strongSwan 6.0.1 builds no ml plugin, and its openssl plugin offers none)"
fi
exit 0
