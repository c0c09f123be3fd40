#!/usr/bin/env bash
# s2s against strongSwan 5.9.8 (Debian packages, kernel-libipsec) in two network namespaces joined by a
# veth pair (192.0.2.1 = s2s, 192.0.2.2 = charon; LAN hosts 10.1.0.1 and 10.2.0.1 on loopback), once with
# s2s as initiator and once as responder: the tunnel comes up and ping passes through it. Prints PASS or
# FAIL with a reason per scenario and ends with "N passed, N failed, N skipped".
#
# Needs root, iproute2, ping and strongSwan (./test.sh installs them). Outside CI without root it skips
# and says why; with CI=true a missing prerequisite is a failure. Everything it creates (namespaces, veth,
# charon and s2s processes, its work directory) is removed on exit, also after a failure or Ctrl-C;
# processes are stopped by PID.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
S2S=${S2S_DLL:-$ROOT/src/Gateway/bin/Release/net10.0/s2s.dll}
SCENARIOS=(initiator responder)
PASSED=0 FAILED=0 SKIPPED=0

finish() { echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"; [ "$FAILED" -eq 0 ]; exit $?; }

missing=""
[ "$(id -u)" -eq 0 ] || missing="not root"
for tool in ip ping swanctl dotnet unshare; do command -v "$tool" >/dev/null 2>&1 || missing="${missing:+$missing, }no $tool"; done
[ -x /usr/lib/ipsec/charon ] || missing="${missing:+$missing, }no /usr/lib/ipsec/charon"
[ -f "$S2S" ] || missing="${missing:+$missing, }no $S2S (build first)"
if [ -n "$missing" ]; then
  for s in "${SCENARIOS[@]}"; do
    if [ "${CI:-}" = true ]; then echo "FAIL strongswan-$s: $missing"; FAILED=$((FAILED + 1))
    else echo "SKIP strongswan-$s: $missing"; SKIPPED=$((SKIPPED + 1)); fi
  done
  finish
fi

TAG=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
NA=s2ssw-a-$TAG NB=s2ssw-b-$TAG
WORK=$(mktemp -d /tmp/s2s-smoke.XXXXXX)
PIDS=()

stop_all() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for _ in $(seq 30); do
    local alive=0
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.1
  done
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
  wait 2>/dev/null
  PIDS=()
}
cleanup() {
  stop_all
  ip netns del "$NA" 2>/dev/null
  ip netns del "$NB" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

lab() {
  ip netns add "$NA" && ip netns add "$NB" &&
  ip -n "$NA" link add va type veth peer name vb netns "$NB" &&
  ip -n "$NA" addr add 192.0.2.1/24 dev va && ip -n "$NB" addr add 192.0.2.2/24 dev vb &&
  ip -n "$NA" link set va up && ip -n "$NB" link set vb up &&
  ip -n "$NA" link set lo up && ip -n "$NB" link set lo up &&
  ip -n "$NA" addr add 10.1.0.1/32 dev lo && ip -n "$NB" addr add 10.2.0.1/32 dev lo
}

configs() { # dir s2s-start charon-start
  local d=$1
  cat >"$d/s2s.json" <<EOF
{ "gateway": { "tun_name": "s2s0", "log_level": "info" },
  "connections": { "sun": { "local_addrs": "192.0.2.1", "remote_addrs": "192.0.2.2", "proposals": "aes256gcm16-prfsha384-ecp384",
    "local": { "auth": "psk", "id": "moon.s2s.test" }, "remote": { "auth": "psk", "id": "sun.s2s.test" },
    "children": { "net": { "local_ts": "10.1.0.0/24", "remote_ts": "10.2.0.0/24", "esp_proposals": "aes256gcm16", "start_action": "$2" } } } },
  "secrets": { "ike-sun": { "id": "sun.s2s.test", "secret": "smoke-test-psk" } } }
EOF
  cat >"$d/strongswan.conf" <<EOF
charon {
  load = random nonce aes sha1 sha2 hmac gcm chapoly curve25519 openssl pem pkcs1 x509 pubkey gmp kdf kernel-libipsec kernel-netlink socket-default vici updown
  plugins { vici { socket = unix://$d/charon.vici } }
  filelog { f { path = $d/charon.log
      default = 1
      ike = 2 } }
  syslog { daemon { default = -1 } }
}
EOF
  cat >"$d/swanctl.conf" <<EOF
connections { moon { version = 2
    local_addrs = 192.0.2.2
    remote_addrs = 192.0.2.1
    proposals = aes256gcm16-prfsha384-ecp384
    local { auth = psk
      id = sun.s2s.test }
    remote { auth = psk
      id = moon.s2s.test }
    children { net { local_ts = 10.2.0.0/24
        remote_ts = 10.1.0.0/24
        esp_proposals = aes256gcm16
        start_action = $3 } } } }
secrets { ike-moon { id = moon.s2s.test
    secret = "smoke-test-psk" } }
EOF
}

scenario() { # role
  local role=$1 d="$WORK/$1" why=""
  mkdir -p "$d"
  if [ "$role" = initiator ]; then configs "$d" start none; else configs "$d" none none; fi
  lab || { echo "FAIL strongswan-$role: could not build the namespace lab"; FAILED=$((FAILED + 1)); return; }
  # charon's pid file path is compiled in: it gets its own mount namespace with a private /run.
  ip netns exec "$NB" unshare --mount --propagation private -- \
    sh -c 'mount -t tmpfs -o size=8m s2s-smoke-run /run && exec env STRONGSWAN_CONF="$1" /usr/lib/ipsec/charon' sh "$d/strongswan.conf" >"$d/charon.out" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 50); do [ -S "$d/charon.vici" ] && break; sleep 0.1; done
  if ! swanctl --load-all --uri "unix://$d/charon.vici" --file "$d/swanctl.conf" >"$d/load.out" 2>&1; then
    why="swanctl --load-all failed: $(tail -1 "$d/load.out")"
  else
    ip netns exec "$NA" dotnet "$S2S" run --config "$d/s2s.json" >"$d/s2s.log" 2>&1 &
    PIDS+=($!)
    sleep 1
    [ "$role" = responder ] && timeout 20 swanctl --initiate --child net --uri "unix://$d/charon.vici" >"$d/initiate.out" 2>&1 &
    local ok=0
    for _ in $(seq 20); do
      if ip netns exec "$NA" ping -c 1 -W 1 -I 10.1.0.1 10.2.0.1 >/dev/null 2>&1; then ok=1; break; fi
      sleep 0.5
    done
    if [ $ok -eq 1 ] && ip netns exec "$NA" ping -c 5 -i 0.2 -W 1 -I 10.1.0.1 10.2.0.1 >"$d/ping.out" 2>&1; then
      swanctl --list-sas --uri "unix://$d/charon.vici" >"$d/sas.out" 2>&1
      grep -q "INSTALLED, TUNNEL-in-UDP" "$d/sas.out" || why="strongSwan lists no installed Child SA"
    else
      why="no ping through the tunnel; s2s: $(grep -E 'warn|fail|error' "$d/s2s.log" | tail -1); charon: $(grep -iE 'fail|error|no proposal' "$d/charon.log" | tail -1)"
    fi
  fi
  stop_all
  ip netns del "$NA" 2>/dev/null; ip netns del "$NB" 2>/dev/null
  if [ -z "$why" ] && grep -q "smoke-test-psk" "$d/s2s.log"; then why="the pre-shared key reached s2s's log"; fi
  if [ -z "$why" ]; then echo "PASS strongswan-$role: tunnel up, 5 pings through s2s and strongSwan 5.9.8"; PASSED=$((PASSED + 1))
  else echo "FAIL strongswan-$role: $why"; FAILED=$((FAILED + 1)); fi
}

for s in "${SCENARIOS[@]}"; do scenario "$s"; done
finish
