# interop/lib/lab.sh - the namespace lab shared by interop/run.sh, interop/demo.sh and bench/tunnel.sh.
# Source it; it defines functions and variables only, starts nothing.
#
#   hostA (10.1.0.10, 10.3.0.10, fd00:1::10)                                  hostB (10.2.0.10, 10.4.0.10, fd00:2::10)
#     | lan0                                                                          | lan0
#   gwA  10.1.0.1 10.3.0.1 | wan0 192.0.2.1 ==== "internet" ==== 192.0.2.2 wan0 | gwB 10.2.0.1 10.4.0.1
#        fd00:1::1         |      2001:db8::1                   2001:db8::2      |     fd00:2::1
#
# IPv6 runs beside IPv4 on the same links (addresses added with nodad, usable at once; forwarding on in the gateways,
# default routes in the hosts); the WAN has its IPv6 addresses in the direct topology (none), whose GWA_ADDR6 and
# GWB_ADDR6 name them.
# lab_up nat-a puts gwA behind a NAT namespace (gwA 172.16.1.1 -> nat 172.16.1.254 | 192.0.2.254,
# nftables masquerade); lab_up nat-b does the same for gwB (172.16.2.2); lab_up delay-ike routes the
# internet through a namespace that holds IKE datagrams back (ikedelay.py) so that rekeys collide; lab_up lossy
# through one that drops 5 % of what it forwards each way. Each namespace name ends in a
# random hex tag. charon (strongSwan 5.9.8 with kernel-libipsec: ESP in user space over TUN ipsec0, ESP
# in UDP 4500 only) runs in its own mount namespace with a private /run (its pid file path is compiled
# in) and its own vici socket; s2s runs with `dotnet s2s.dll run`. lab_cleanup (install it in a trap)
# stops every process the lab started, by PID, and deletes every namespace it made.
# LAB_SWAN=6 makes the peer strongSwan 6.0.1 instead (interop/lib/strongswan6.sh, sourced too: charon 6 from a Debian 13
# root filesystem, chrooted in the same kind of namespace): write_charon_conf, charon_start and swanctl_ follow it.

LAB_ROOT=${LAB_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
S2S_DLL=${S2S_DLL:-$LAB_ROOT/src/Gateway/bin/Release/net10.0/s2s.dll}
CHARON=${CHARON:-/usr/lib/ipsec/charon}
LAB_PIDS=()
LAB_NSS=()
LAB_TAG=""
LAB_WORK=""
# shellcheck source=packages.sh
. "$LAB_ROOT/interop/lib/packages.sh"

# Installs the missing packages of the one list (interop/lib/packages.sh) when root. Returns 1 if that failed.
lab_install() { s2s_install_packages; }

# Prints what is missing to run the lab (empty when nothing is).
lab_missing() {
  local missing="" tool
  [ "$(id -u)" -eq 0 ] || missing="not root"
  for tool in ip ping swanctl pki dotnet unshare nft iperf3 tcpdump tshark; do
    command -v "$tool" >/dev/null 2>&1 || missing="${missing:+$missing, }no $tool"
  done
  [ -x "$CHARON" ] || missing="${missing:+$missing, }no $CHARON"
  [ -f "$S2S_DLL" ] || missing="${missing:+$missing, }no $S2S_DLL (build first)"
  printf '%s' "$missing"
}

# Creates the work directory and the tag; call once per script.
lab_init() { # work-dir-prefix
  LAB_TAG=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
  LAB_WORK=$(mktemp -d "/tmp/${1:-s2s-lab}.XXXXXX")
}

# Stops the processes the lab started (TERM, then KILL after 3 s), by PID.
lab_stop_all() {
  local p alive
  [ ${#LAB_PIDS[@]} -eq 0 ] && return 0
  for p in "${LAB_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for _ in $(seq 30); do
    alive=0
    for p in "${LAB_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.1
  done
  for p in "${LAB_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
  { for p in "${LAB_PIDS[@]}"; do wait "$p"; done; } 2>/dev/null
  LAB_PIDS=()
}

# Stops one process the lab started and forgets it.
lab_stop() { # pid [signal]
  local p=$1 sig=${2:-TERM} keep=() q
  # A job killed by a signal is reported by bash ("Killed"); a disowned one is not.
  [ "$sig" = KILL ] && disown "$p" 2>/dev/null
  kill -"$sig" "$p" 2>/dev/null
  for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null
  { wait "$p"; } 2>/dev/null
  for q in "${LAB_PIDS[@]}"; do [ "$q" = "$p" ] || keep+=("$q"); done
  LAB_PIDS=("${keep[@]}")
}

# Waits for a process the lab started that ends by itself (a ping with a count) and forgets it, so that its PID, once
# free for another process, is never stopped.
lab_wait() { # pid
  local p=$1 keep=() q
  wait "$p" 2>/dev/null
  for q in "${LAB_PIDS[@]}"; do [ "$q" = "$p" ] || keep+=("$q"); done
  LAB_PIDS=("${keep[@]}")
}

lab_down() {
  local n
  lab_stop_all
  for n in "${LAB_NSS[@]}"; do ip netns del "$n" 2>/dev/null; done
  LAB_NSS=()
}

# For the EXIT trap: everything down, the work directory removed (kept with KEEP_WORK=1).
lab_cleanup() {
  lab_down
  if [ -n "$LAB_WORK" ] && [ -z "${KEEP_WORK:-}" ]; then rm -rf "$LAB_WORK"; fi
}

# Namespace names of this run.
lab_names() {
  HA=s2s-ha-$LAB_TAG GA=s2s-ga-$LAB_TAG GB=s2s-gb-$LAB_TAG HB=s2s-hb-$LAB_TAG NAT=s2s-nat-$LAB_TAG
}

lab_ns() { ip netns add "$1" && LAB_NSS+=("$1") && ip -n "$1" link set lo up; }
lab_router() { # ns
  ip netns exec "$1" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
}

# The internet as a router namespace between the gateways: gwA 192.0.2.1 - 192.0.2.254 (a0) | (b0)
# 198.51.100.254 - 198.51.100.2 gwB. The topologies that hold back or drop packets do it in that router.
lab_routed_internet() {
  GWA_ADDR=192.0.2.1 GWB_ADDR=198.51.100.2 GWA_SEEN=192.0.2.1 GWB_SEEN=198.51.100.2
  lab_ns "$NAT" && lab_router "$NAT" || return 1
  ip -n "$GA" link add wan0 type veth peer name a0 netns "$NAT" &&
  ip -n "$GB" link add wan0 type veth peer name b0 netns "$NAT" &&
  ip -n "$GA" addr add 192.0.2.1/24 dev wan0 && ip -n "$NAT" addr add 192.0.2.254/24 dev a0 &&
  ip -n "$GB" addr add 198.51.100.2/24 dev wan0 && ip -n "$NAT" addr add 198.51.100.254/24 dev b0 &&
  ip -n "$GA" link set wan0 up && ip -n "$GB" link set wan0 up && ip -n "$NAT" link set a0 up && ip -n "$NAT" link set b0 up &&
  ip -n "$GA" route add default via 192.0.2.254 && ip -n "$GB" route add default via 198.51.100.254
}

# Builds the lab. Sets GWA_ADDR/GWB_ADDR (each gateway's own WAN address) and GWA_SEEN/GWB_SEEN (the
# address the other gateway sends to: the NAT's outside address for the gateway behind it), and GWA_ADDR6/GWB_ADDR6
# (the WAN's IPv6 addresses; empty in the topologies without them).
lab_up() { # none | nat-a | nat-b | routed | delay-ike | lossy
  local nat=${1:-none}
  GWA_ADDR6="" GWB_ADDR6=""
  lab_names
  lab_ns "$HA" && lab_ns "$GA" && lab_ns "$GB" && lab_ns "$HB" || return 1
  lab_router "$GA" && lab_router "$GB" || return 1
  # LANs
  ip -n "$HA" link add lan0 type veth peer name lan0 netns "$GA" &&
  ip -n "$HA" addr add 10.1.0.10/24 dev lan0 && ip -n "$HA" addr add 10.3.0.10/24 dev lan0 &&
  ip -n "$GA" addr add 10.1.0.1/24 dev lan0 && ip -n "$GA" addr add 10.3.0.1/24 dev lan0 &&
  ip -n "$HA" link set lan0 up && ip -n "$GA" link set lan0 up &&
  ip -n "$HA" route add default via 10.1.0.1 &&
  ip -n "$HB" link add lan0 type veth peer name lan0 netns "$GB" &&
  ip -n "$HB" addr add 10.2.0.10/24 dev lan0 && ip -n "$HB" addr add 10.4.0.10/24 dev lan0 &&
  ip -n "$GB" addr add 10.2.0.1/24 dev lan0 && ip -n "$GB" addr add 10.4.0.1/24 dev lan0 &&
  ip -n "$HB" link set lan0 up && ip -n "$GB" link set lan0 up &&
  ip -n "$HB" route add default via 10.2.0.1 || return 1
  ip netns exec "$GA" sysctl -qw net.ipv6.conf.all.forwarding=1 && ip netns exec "$GB" sysctl -qw net.ipv6.conf.all.forwarding=1 &&
  ip -n "$HA" addr add fd00:1::10/64 dev lan0 nodad && ip -n "$GA" addr add fd00:1::1/64 dev lan0 nodad &&
  ip -n "$HB" addr add fd00:2::10/64 dev lan0 nodad && ip -n "$GB" addr add fd00:2::1/64 dev lan0 nodad &&
  ip -n "$HA" -6 route add default via fd00:1::1 && ip -n "$HB" -6 route add default via fd00:2::1 || return 1
  # The internet link, directly or through the NAT namespace.
  case $nat in
    none)
      GWA_ADDR=192.0.2.1 GWB_ADDR=192.0.2.2 GWA_SEEN=192.0.2.1 GWB_SEEN=192.0.2.2 GWA_ADDR6=2001:db8::1 GWB_ADDR6=2001:db8::2
      ip -n "$GA" link add wan0 type veth peer name wan0 netns "$GB" &&
      ip -n "$GA" addr add 192.0.2.1/24 dev wan0 && ip -n "$GB" addr add 192.0.2.2/24 dev wan0 &&
      ip -n "$GA" addr add 2001:db8::1/64 dev wan0 nodad && ip -n "$GB" addr add 2001:db8::2/64 dev wan0 nodad &&
      ip -n "$GA" link set wan0 up && ip -n "$GB" link set wan0 up || return 1 ;;
    nat-a|nat-b)
      local inner outer in_addr gw_in
      lab_ns "$NAT" && lab_router "$NAT" || return 1
      if [ "$nat" = nat-a ]; then
        inner=$GA outer=$GB in_addr=172.16.1.1 gw_in=172.16.1.254
        GWA_ADDR=172.16.1.1 GWB_ADDR=192.0.2.2 GWA_SEEN=192.0.2.254 GWB_SEEN=192.0.2.2
      else
        inner=$GB outer=$GA in_addr=172.16.2.2 gw_in=172.16.2.254
        GWA_ADDR=192.0.2.1 GWB_ADDR=172.16.2.2 GWA_SEEN=192.0.2.1 GWB_SEEN=192.0.2.254
      fi
      ip -n "$inner" link add wan0 type veth peer name in0 netns "$NAT" &&
      ip -n "$outer" link add wan0 type veth peer name out0 netns "$NAT" &&
      ip -n "$inner" addr add "$in_addr/24" dev wan0 && ip -n "$NAT" addr add "$gw_in/24" dev in0 &&
      ip -n "$NAT" addr add 192.0.2.254/24 dev out0 &&
      ip -n "$outer" addr add "$( [ "$nat" = nat-a ] && echo 192.0.2.2 || echo 192.0.2.1)/24" dev wan0 &&
      ip -n "$inner" link set wan0 up && ip -n "$outer" link set wan0 up &&
      ip -n "$NAT" link set in0 up && ip -n "$NAT" link set out0 up &&
      ip -n "$inner" route add default via "$gw_in" &&
      ip netns exec "$NAT" nft -f - <<'EOF' || return 1
table ip nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "out0" masquerade
  }
}
EOF
      ;;
    routed)
      # A routed internet, the peer off-link: each gateway reaches the other through its default route.
      lab_routed_internet || return 1 ;;
    delay-ike)
      # A routed internet whose router holds IKE back for IKE_DELAY seconds (ikedelay.py), so that rekey
      # requests cross.
      lab_routed_internet || return 1
      ip netns exec "$NAT" python3 "$LAB_ROOT/interop/lib/ikedelay.py" dly0 "${IKE_DELAY:-1.5}" >"$LAB_WORK/ikedelay.out" 2>&1 &
      LAB_PIDS+=($!)
      for _ in $(seq 50); do ip -n "$NAT" link show dly0 >/dev/null 2>&1 && break; sleep 0.1; done
      ip -n "$NAT" link set dly0 up && ip -n "$NAT" route add default dev dly0 table 100 &&
      ip -n "$NAT" rule add iif a0 lookup 100 pref 100 && ip -n "$NAT" rule add iif b0 lookup 100 pref 101 || return 1 ;;
    lossy)
      # A routed internet whose router drops LOSS_PERCENT (5) % of the packets it forwards, each way, at random
      # (nftables numgen: the kernel has no netem).
      lab_routed_internet || return 1
      ip netns exec "$NAT" nft -f - <<EOF || return 1
table inet lossy {
  chain forward {
    type filter hook forward priority filter; policy accept;
    numgen random mod 100 < ${LOSS_PERCENT:-5} counter drop
  }
}
EOF
      ;;
    *) echo "lab_up: unknown topology '$nat'" >&2; return 1 ;;
  esac
}

# ---- certificates ----
# The lab's PKI, made once per run in $LAB_WORK/pki with strongSwan's pki (each call bounded by timeout): for each key
# type, rsa (RSA 3072) and ecdsa (ECDSA P-384), a CA "C=CH, O=s2s lab, CN=s2s lab <TYPE> CA" and two end-entity
# certificates it issued, moon (gwA, s2s) "C=CH, O=s2s lab, CN=moon.s2s.test" and sun (gwB, strongSwan)
# "C=CH, O=s2s lab, CN=sun.s2s.test", each with its FQDN as a subjectAltName; keys in PEM, PKCS#1 (RSA) and SEC1
# (ECDSA), mode 0600. Files: $LAB_PKI/<type>/{ca,moon,sun}.{crt,key}. Returns 1 with one line on stderr when pki fails.
lab_make_certs() {
  local t size n san err
  LAB_PKI=$LAB_WORK/pki
  mkdir -p "$LAB_PKI" && chmod 700 "$LAB_PKI" || return 1
  err=$LAB_PKI/pki.err
  # Only the plugins pki needs (Debian's default list has tpm, which warns without a TPM).
  printf 'pki { load = random openssl pem pkcs1 x509 pubkey }\n' >"$LAB_PKI/strongswan.conf"
  for t in rsa ecdsa; do
    mkdir -p "$LAB_PKI/$t"
    if [ "$t" = rsa ]; then size=3072; else size=384; fi
    for n in ca moon sun; do
      (umask 077; pki_ --gen --type "$t" --size "$size" --outform pem >"$LAB_PKI/$t/$n.key") &&
        [ -s "$LAB_PKI/$t/$n.key" ] || { echo "pki --gen --type $t --size $size failed: $(tail -n 1 "$err")" >&2; return 1; }
    done
    pki_ --self --ca --lifetime 30 --type priv --in "$LAB_PKI/$t/ca.key" --dn "C=CH, O=s2s lab, CN=s2s lab ${t^^} CA" \
      --outform pem >"$LAB_PKI/$t/ca.crt" || { echo "pki --self --ca ($t) failed: $(tail -n 1 "$err")" >&2; return 1; }
    for n in moon sun; do
      san=$n.s2s.test
      pki_ --issue --cacert "$LAB_PKI/$t/ca.crt" --cakey "$LAB_PKI/$t/ca.key" --type priv --in "$LAB_PKI/$t/$n.key" \
        --dn "C=CH, O=s2s lab, CN=$san" --san "$san" --lifetime 30 --outform pem >"$LAB_PKI/$t/$n.crt" ||
        { echo "pki --issue $n ($t) failed: $(tail -n 1 "$err")" >&2; return 1; }
    done
  done
}

# pki with the lab's plugin list, at most 30 s a call (an RSA 3072 key takes about one), its errors in $LAB_PKI/pki.err.
pki_() { STRONGSWAN_CONF=$LAB_PKI/strongswan.conf timeout 30 pki "$@" 2>>"$LAB_PKI/pki.err"; }

# ---- configurations ----
# Writers read their settings from variables (unset ones take the defaults shown); lab_reset_vars
# clears them. S_* describe the s2s side, C_* the charon side, each from its own point of view.
lab_reset_vars() {
  unset S_LOCAL S_REMOTE S_ID S_PEER_ID S_PSK S_PROPOSALS S_ESP S_LTS S_RTS S_START S_IKE_REKEY S_IKE_LIFE \
    S_CHILD_REKEY S_CHILD_LIFE S_RAND S_DPD_DELAY S_DPD_TIMEOUT S_DPD_ACTION S_IFACE S_ROUTES S_LOG S_EXTRA_CONN S_EXTRA_GW \
    S_AUTH S_PEER_AUTH S_CERT S_KEY S_CACERT C_AUTH C_PEER_AUTH C_CERT C_KEY C_CACERT \
    C_LOCAL C_REMOTE C_ID C_PEER_ID C_PSK C_PROPOSALS C_ESP C_LTS C_RTS C_START C_IKE_REKEY C_CHILD_REKEY C_CHILD_LIFE \
    C_RAND C_DPD_DELAY C_EXTRA_CHARON C_EXTRA_CONN C_EXTRA_CHILDREN
}

json_list() { # "a,b c" -> ["a","b","c"]
  local out="" x
  for x in ${1//,/ }; do out="${out:+$out, }\"$x\""; done
  printf '[%s]' "$out"
}

# s2s's JSON configuration: one connection "gw" with one child "net". Authentication: S_AUTH (ours) and S_PEER_AUTH
# (the peer's), psk (the default) or pubkey; with pubkey, S_CERT (local.certs), S_KEY (secrets.private-gw) and
# S_CACERT (remote.cacerts) are file paths. The data path's offloads: S2S_OFFLOAD=off writes "offload": false in the
# gateway settings, S2S_OFFLOAD=on "offload": true; unset, no key (s2s's default, on).
write_s2s_conf() { # file
  local f=$1 iface="" dpd="" lcert="" rcert="" key="" offload=""
  case ${S2S_OFFLOAD:-} in
    "") ;;
    on) offload=', "offload": true' ;;
    off) offload=', "offload": false' ;;
    *) echo "write_s2s_conf: S2S_OFFLOAD is '$S2S_OFFLOAD'; valid are on, off, or unset (s2s's default)" >&2; return 1 ;;
  esac
  [ "${S_AUTH:-psk}" = pubkey ] && lcert=", \"certs\": [\"$S_CERT\"]" key="\"private-gw\": { \"file\": \"$S_KEY\" },"
  [ "${S_PEER_AUTH:-psk}" = pubkey ] && rcert=", \"cacerts\": $(json_list "$S_CACERT")"
  [ -n "${S_IFACE:-}" ] && iface="\"interface\": \"$S_IFACE\", \"routes\": $(json_list "${S_ROUTES:-10.2.0.0/24}"),"
  [ -n "${S_DPD_DELAY:-}" ] && dpd="\"dpd_delay\": \"$S_DPD_DELAY\", \"dpd_timeout\": \"${S_DPD_TIMEOUT:-10s}\","
  local ts=""
  [ -z "${S_IFACE:-}" ] || [ -n "${S_LTS:-}" ] && ts="\"local_ts\": $(json_list "${S_LTS:-10.1.0.0/24}"), \"remote_ts\": $(json_list "${S_RTS:-10.2.0.0/24}"),"
  cat >"$f" <<EOF
{
  "gateway": { "tun_name": "s2s0", "log_level": "${S_LOG:-info}", "control_socket": "$(dirname "$f")/s2s.ctl"$offload ${S_EXTRA_GW:-} },
  "connections": {
    "gw": {
      "local_addrs": "${S_LOCAL:-$GWA_ADDR}", "remote_addrs": "${S_REMOTE:-$GWB_SEEN}",
      "proposals": $(json_list "${S_PROPOSALS:-aes256gcm16-prfsha384-ecp384}"),
      "rekey_time": "${S_IKE_REKEY:-4h}", ${S_IKE_LIFE:+\"life_time\": \"$S_IKE_LIFE\",} ${S_RAND:+\"rand_time\": \"$S_RAND\",}
      $dpd ${S_EXTRA_CONN:-}
      "local": { "auth": "${S_AUTH:-psk}", "id": "${S_ID:-moon.s2s.test}"$lcert },
      "remote": { "auth": "${S_PEER_AUTH:-psk}", "id": "${S_PEER_ID:-sun.s2s.test}"$rcert },
      "children": {
        "net": {
          $iface $ts
          "esp_proposals": $(json_list "${S_ESP:-aes256gcm16}"),
          "rekey_time": "${S_CHILD_REKEY:-1h}", ${S_CHILD_LIFE:+\"life_time\": \"$S_CHILD_LIFE\",} ${S_RAND:+\"rand_time\": \"$S_RAND\",}
          "start_action": "${S_START:-none}", "dpd_action": "${S_DPD_ACTION:-restart}"
        }
      }
    }
  },
  "secrets": { $key "ike-gw": { "id": "${S_PEER_ID:-sun.s2s.test}", "secret": "${S_PSK:-interop-test-pre-shared-key}" } }
}
EOF
  # It holds a secret: s2s warns, as wg-quick does, when others may read it.
  chmod 600 "$f"
}

# charon 5.9.8's plugins, explicit: openssl before the software crypto plugins, so that charon encrypts with OpenSSL's
# AES-NI code (its best configuration), kernel-libipsec before kernel-netlink. charon_start checks that every one loaded.
CHARON_LOAD="random nonce openssl aes sha1 sha2 hmac gcm chapoly curve25519 pem pkcs1 x509 pubkey gmp kdf kernel-libipsec kernel-netlink socket-default vici updown"

# charon's strongswan.conf and swanctl.conf, with CHARON_LOAD as the plugin list (charon 6's SWAN6_LOAD when
# LAB_SWAN=6). Authentication: C_AUTH (ours) and C_PEER_AUTH
# (the peer's), psk (the default) or pubkey; with pubkey, C_CERT, C_KEY and C_CACERT (file paths) are copied into
# dir/x509, dir/private and dir/x509ca: swanctl --load-all --file dir/swanctl.conf looks for credentials beside the file.
write_charon_conf() { # dir
  local d=$1 lcert="" rcert=""
  if [ "${C_AUTH:-psk}" = pubkey ]; then
    mkdir -p "$d/x509" "$d/private" && cp "$C_CERT" "$d/x509/" && (umask 077; cp "$C_KEY" "$d/private/") || return 1
    lcert="certs = $(basename "$C_CERT")"
  fi
  if [ "${C_PEER_AUTH:-psk}" = pubkey ]; then
    mkdir -p "$d/x509ca" && cp "$C_CACERT" "$d/x509ca/" || return 1
    rcert="cacerts = $(basename "$C_CACERT")"
  fi
  local load=$CHARON_LOAD
  [ "${LAB_SWAN:-}" = 6 ] && load=$SWAN6_LOAD
  cat >"$d/strongswan.conf" <<EOF
charon {
  load = $load
  install_virtual_ip = no
  ${C_EXTRA_CHARON:-}
  plugins { vici { socket = unix://$d/charon.vici } }
  filelog { f { path = $d/charon.log
      time_format = %H:%M:%S
      flush_line = yes
      default = 1
      ike = 2
      cfg = 2 } }
  syslog { daemon { default = -1 } }
}
EOF
  cat >"$d/swanctl.conf" <<EOF
connections { gw { version = 2
    local_addrs = ${C_LOCAL:-$GWB_ADDR}
    remote_addrs = ${C_REMOTE:-$GWA_SEEN}
    encap = yes
    proposals = ${C_PROPOSALS:-aes256gcm16-prfsha384-ecp384}
    rekey_time = ${C_IKE_REKEY:-4h}
    ${C_RAND:+rand_time = $C_RAND}
    ${C_DPD_DELAY:+dpd_delay = $C_DPD_DELAY}
    ${C_EXTRA_CONN:-}
    local { auth = ${C_AUTH:-psk}
      id = ${C_ID:-sun.s2s.test}
      $lcert }
    remote { auth = ${C_PEER_AUTH:-psk}
      id = ${C_PEER_ID:-moon.s2s.test}
      $rcert }
    children { net { local_ts = ${C_LTS:-10.2.0.0/24}
        remote_ts = ${C_RTS:-10.1.0.0/24}
        esp_proposals = ${C_ESP:-aes256gcm16}
        rekey_time = ${C_CHILD_REKEY:-1h}
        ${C_CHILD_LIFE:+life_time = $C_CHILD_LIFE}
        ${C_RAND:+rand_time = $C_RAND}
        start_action = ${C_START:-none} }
      ${C_EXTRA_CHILDREN:-} } } }
secrets { ike-gw { id = ${C_PEER_ID:-moon.s2s.test}
    secret = "${C_PSK:-interop-test-pre-shared-key}" } }
EOF
}

# ---- daemons ----

# Starts charon in namespace ns, in its own mount namespace with a private /run; checks that it loaded every
# plugin of its load list (charon_plugins_check) and loads swanctl.conf. Sets CHARON_PID. Returns 1 (one line
# on stderr) when it does not come up, 2 when it came up without a plugin it was asked to load. With LAB_SWAN=6 it is
# charon 6, by strongswan6.sh's swan6_charon_start (the same checks, the same return values).
charon_start() { # ns dir
  local ns=$1 d=$2
  if [ "${LAB_SWAN:-}" = 6 ]; then
    declare -F swan6_charon_start >/dev/null || { echo "charon_start: LAB_SWAN=6 needs interop/lib/strongswan6.sh sourced" >&2; return 1; }
    local rc=0
    swan6_charon_start "$ns" "$d" || rc=$?
    CHARON_PID=$SWAN6_PID
    return $rc
  fi
  rm -f "$d/charon.vici"
  ip netns exec "$ns" unshare --mount --propagation private -- \
    sh -c 'mount -t tmpfs -o size=8m s2s-lab-run /run && exec env STRONGSWAN_CONF="$1" "$2"' sh "$d/strongswan.conf" "$CHARON" \
    >>"$d/charon.out" 2>&1 &
  CHARON_PID=$!
  LAB_PIDS+=("$CHARON_PID")
  # Generous on a loaded 2-core machine: 15 s. charon logs its plugins before it serves vici.
  for _ in $(seq 150); do [ -S "$d/charon.vici" ] && grep -q 'loaded plugins: ' "$d/charon.log" 2>/dev/null && break; sleep 0.1; done
  charon_plugins_check "$d" || return 2
  [ -S "$d/charon.vici" ] || { echo "charon did not open its vici socket" >&2; return 1; }
  swanctl_ "$d" --load-all --file "$d/swanctl.conf" >"$d/load.out" 2>&1 ||
    { echo "swanctl --load-all failed: $(tail -1 "$d/load.out")" >&2; return 1; }
}

# Compares the load list of dir/strongswan.conf with the plugins charon's log says it loaded. Prints one line
# naming each missing plugin with charon's reason, and returns 1, when any is missing: a charon without its
# openssl or gcm plugin negotiates other algorithms (or none), so nothing may run on with it. The name and the hint
# at the end of the line are the Debian 12 charon's unless given (interop/lib/strongswan6.sh gives its own).
charon_plugins_check() { # dir [name hint]
  local d=$1 name=${2:-charon} hint=${3:-"is libstrongswan-standard-plugins installed? (interop/lib/packages.sh)"} want got p missing=() why=""
  want=$(sed -nE 's/^[[:space:]]*load = //p' "$d/strongswan.conf" | head -n 1)
  got=$(sed -nE 's/.*loaded plugins: //p' "$d/charon.log" 2>/dev/null | tail -n 1)
  if [ -z "$got" ]; then
    echo "$name logged no 'loaded plugins' line in $d/charon.log: $(tail -n 2 "$d/charon.out" 2>/dev/null | tr '\n' ' ')" >&2
    return 1
  fi
  for p in $want; do
    [[ " $got " == *" $p "* ]] && continue
    missing+=("$p")
    why="$why${why:+; }$(grep -m 1 -oE "plugin '$p': failed to load - .*" "$d/charon.log" || echo "plugin '$p': not loaded")"
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "$name did not load plugin(s) ${missing[*]} of its load list ($why); $hint" >&2
  return 1
}

# Starts one charon with the lab's strongswan.conf in a namespace of its own and checks its plugins, then
# stops it: the run stops with that line before any scenario when this charon is weaker than asked.
lab_check_charon() {
  local ns=s2s-chk-$LAB_TAG d=$LAB_WORK/charon-check rc=0 GWA_SEEN=192.0.2.1 GWB_ADDR=192.0.2.2
  mkdir -p "$d"
  lab_ns "$ns" || { echo "could not create namespace $ns" >&2; return 1; }
  write_charon_conf "$d"
  charon_start "$ns" "$d" || rc=$?
  lab_stop "$CHARON_PID"
  ip netns del "$ns" 2>/dev/null
  local keep=() n
  for n in "${LAB_NSS[@]}"; do [ "$n" = "$ns" ] || keep+=("$n"); done
  LAB_NSS=("${keep[@]}")
  return $rc
}

# swanctl against dir's vici socket (swanctl 6 from its root filesystem with LAB_SWAN=6), at most 30 s a call.
swanctl_() { # dir args...
  local d=$1
  shift
  if [ "${LAB_SWAN:-}" = 6 ]; then swan6_swanctl "$d" "$@"; else timeout 30 swanctl "$@" --uri "unix://$d/charon.vici"; fi
}

# Starts s2s in namespace ns; waits for "s2s running". Sets S2S_PID.
s2s_start() { # ns config log
  local ns=$1 conf=$2 log=$3
  ip netns exec "$ns" dotnet "$S2S_DLL" run --config "$conf" >>"$log" 2>&1 &
  S2S_PID=$!
  LAB_PIDS+=("$S2S_PID")
  # Up to 30 s: a cold .NET start on a loaded 2-core machine can take several.
  for _ in $(seq 300); do
    grep -q "s2s running" "$log" 2>/dev/null && return 0
    kill -0 "$S2S_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "s2s did not start: $(tail -3 "$log" | tr '\n' ' ')" >&2
  return 1
}

# ---- traffic ----

# Waits until one ping from hostA reaches hostB (or another pair, IPv4 or IPv6: ping takes the family of the
# destination); returns 1 after the timeout.
wait_ping() { # seconds [src dst]
  local end=$((SECONDS + $1)) src=${2:-10.1.0.10} dst=${3:-10.2.0.10}
  while [ $SECONDS -lt $end ]; do
    ip netns exec "$HA" ping -n -c 1 -W 1 -I "$src" "$dst" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}

# n pings from hostA to hostB (or another pair, IPv4 or IPv6); returns 1 unless all came back.
ping_all() { # count [src dst] [out]
  local n=$1 src=${2:-10.1.0.10} dst=${3:-10.2.0.10} out=${4:-/dev/null}
  ip netns exec "$HA" ping -n -c "$n" -i 0.2 -W 1 -I "$src" "$dst" >"$out" 2>&1 || return 1
  grep -q " 0% packet loss" "$out" 2>/dev/null || [ "$out" = /dev/null ]
}

# iperf3 TCP hostA -> hostB for the given seconds; prints the receiver's Mbit/s (empty on failure).
iperf_mbps() { # seconds [out]
  local t=$1 out=${2:-/dev/null} pid
  ip netns exec "$HB" iperf3 -s -1 -B 10.2.0.10 >/dev/null 2>&1 &
  pid=$!
  LAB_PIDS+=("$pid")
  # Until the server listens (up to 5 s), not a fixed pause.
  for _ in $(seq 50); do
    ip netns exec "$HB" ss -Hltn 'sport = :5201' 2>/dev/null | grep -q . && break
    sleep 0.1
  done
  ip netns exec "$HA" timeout $((t + 15)) iperf3 -c 10.2.0.10 -B 10.1.0.10 -t "$t" -J >"$out" 2>&1
  lab_stop "$pid"
  python3 - "$out" <<'PY' 2>/dev/null
import json, sys
d = json.load(open(sys.argv[1]))
print(f"{d['end']['sum_received']['bits_per_second'] / 1e6:.0f}")
PY
}

# Median and average RTT in ms of pings hostA -> hostB, interval seconds apart (0.2 unless given): "median avg".
ping_rtt() { # count [interval]
  # A lost ping makes ping exit non-zero: the replies that came are what counts (none: failure, below).
  { ip netns exec "$HA" ping -n -c "$1" -i "${2:-0.2}" -W 1 -I 10.1.0.10 10.2.0.10 2>/dev/null || true; } |
    sed -nE 's/.*time=([0-9.]+) ms.*/\1/p' | sort -n |
    awk '{ a[NR] = $1; s += $1 } END { if (NR == 0) exit 1; m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.3f %.3f\n", m, s / NR }'
}
