# interop/lib/bgp-lab.sh - the redundant Azure lab of interop/run.sh's scenarios 14 and 15: on-premises s2s gateways
# with FRR (bgpd, ASN 65010) and two "Azure VPN Gateway instances" (ASN 65515) in front of one "VNet", BGP over every
# tunnel between APIPA addresses, as Azure's active-active gateways run it. Source it after lab.sh; it defines
# functions and variables only, starts nothing.
#
#   hostA 10.1.0.10-25 ─ lan0 ─ gwA 10.1.0.1 (s2s + FRR)        [gwA2 10.1.0.2 (s2s + FRR): dual redundancy]
#                                  │ wan0 192.0.2.1                │ wan0 198.18.0.1
#                        "internet" router 192.0.2.254 | 198.18.0.254 | 198.51.100.254 | 203.0.113.254
#                                  │                           │
#                  az0 198.51.100.1 (IKE+FRR)        az1 203.0.113.1 (IKE+FRR)     BGP 169.254.21.1 / 169.254.22.1
#                                  │ 10.99.0.1/30              │ 10.99.0.5/30
#                                  └──────── vnet 10.2.0.10/24 (FRR) ──┘            iBGP, ECMP back to on-premises
#
# BGP addresses as Azure has them: each instance has one (169.254.21.1, 169.254.22.1), and so has each on-premises
# device (the BGP peer IP of its local network gateway: gwA 169.254.21.2, gwA2 169.254.21.6), on each of its tunnel
# interfaces with the instance's address as the peer (gwA: vti0 "169.254.21.2 peer 169.254.21.1" to az0, vti1
# "169.254.21.2 peer 169.254.22.1" to az1), so that each instance's address is routed through its own tunnel. Every
# session is eBGP multihop, as Azure asks of APIPA peers, and with APIPA addresses Azure does not start BGP: the
# instances are passive, the on-premises side connects. Timers are Azure's 60/180 s; no BFD.
#
# The instances are played by strongSwan 5.9.8 (kernel-libipsec: one TUN device ipsec0; FRR's routes in the main
# table come before the ones kernel-libipsec puts into table 220) where one instance has one tunnel (scenario 14). kernel-libipsec picks an SA by its selectors, not by
# the route a packet took, so an instance with a tunnel to each of two on-premises devices announcing one prefix
# (dual redundancy, scenario 15) cannot steer a packet into the tunnel its route chose: there the instances are s2s
# gateways, a route-based tunnel interface per on-premises device, as Azure's instances have.
#
# Every FRR daemon runs in the foreground as user frr (Debian's build requires its vty group), with its
# configuration, pid file, vty and zserv sockets and log in a directory of the case; they are in LAB_PIDS and
# stopped with the rest.

BGP_ONPREM_ASN=65010
BGP_AZURE_ASN=65515
FRR_DIR=/usr/lib/frr
# The on-premises gateways' FRR configuration is the recipe's, as it is (gwA) or with another BGP address (gwA2):
# frr_start_recipe.
FRR_RECIPE=$LAB_ROOT/examples/azure-active-active.frr.conf

# Namespace names of the redundant lab (lab_names gives hostA and gwA).
bgp_lab_names() {
  lab_names
  GA2=s2s-ga2-$LAB_TAG AZ0=s2s-az0-$LAB_TAG AZ1=s2s-az1-$LAB_TAG VN=s2s-vn-$LAB_TAG INET=s2s-inet-$LAB_TAG
}

# Prints what is missing to run FRR (empty when nothing is).
bgp_lab_missing() {
  local missing=""
  [ -x "$FRR_DIR/zebra" ] && [ -x "$FRR_DIR/bgpd" ] || missing="no $FRR_DIR/zebra and bgpd (Debian package frr)"
  command -v vtysh >/dev/null 2>&1 || missing="${missing:+$missing, }no vtysh"
  id frr >/dev/null 2>&1 || missing="${missing:+$missing, }no user frr"
  printf '%s' "$missing"
}

# Builds the namespaces and links of the picture above; with "dual", gwA2 as well. The instances' WAN addresses
# are AZ0_ADDR and AZ1_ADDR, the on-premises gateways' GWA_ADDR and GWA2_ADDR.
bgp_lab_up() { # single | dual
  local mode=${1:-single} n ns
  bgp_lab_names
  GWA_ADDR=192.0.2.1 GWA2_ADDR=198.18.0.1 AZ0_ADDR=198.51.100.1 AZ1_ADDR=203.0.113.1
  # FRR's daemons run as frr and keep their files in the case's directory: they must reach it.
  chmod o+x "$LAB_WORK"
  for n in "$HA" "$GA" "$INET" "$AZ0" "$AZ1" "$VN"; do lab_ns "$n" || return 1; done
  [ "$mode" = dual ] && { lab_ns "$GA2" || return 1; }
  for n in "$GA" "$INET" "$AZ0" "$AZ1"; do lab_router "$n" || return 1; done
  [ "$mode" = dual ] && { lab_router "$GA2" || return 1; }
  # Multipath hashing as docs/azure-active-active.md recommends for an on-premises gateway: over addresses and ports
  # (policy 1). Each namespace hashes with a seed of its own where the kernel has the setting (6.11): with one seed,
  # hostA's choice of gateway and that gateway's choice of tunnel would split the flows alike, and one tunnel of
  # each gateway would get none of them.
  ip netns exec "$GA" sysctl -qw net.ipv4.fib_multipath_hash_policy=1 || return 1
  [ "$mode" = dual ] && { ip netns exec "$GA2" sysctl -qw net.ipv4.fib_multipath_hash_policy=1 || return 1; }
  # The echo requests each on-premises gateway sends into each tunnel, counted (tunnel_pings): the interfaces' own
  # counters would count BGP too.
  for ns in "$GA" $([ "$mode" = dual ] && echo "$GA2"); do
    ip netns exec "$ns" nft -f - <<'EOF' || return 1
table inet s2slab {
  counter vti0 { }
  counter vti1 { }
  chain out {
    type filter hook postrouting priority filter; policy accept;
    oifname "vti0" icmp type echo-request counter name "vti0"
    oifname "vti1" icmp type echo-request counter name "vti1"
  }
}
EOF
  done
  n=1
  for ns in "$HA" "$GA" $([ "$mode" = dual ] && echo "$GA2"); do
    ip netns exec "$ns" sysctl -qw net.ipv4.fib_multipath_hash_seed=$((n++)) 2>/dev/null
  done
  # The on-premises LAN: sixteen host addresses, so that the kernel's multipath hash over source and destination
  # spreads the flows of one test over every tunnel.
  ip -n "$HA" link add lan0 type veth peer name lan0 netns "$GA" &&
  ip -n "$GA" addr add 10.1.0.1/24 dev lan0 && ip -n "$HA" link set lan0 up && ip -n "$GA" link set lan0 up || return 1
  for n in $(seq 10 25); do ip -n "$HA" addr add "10.1.0.$n/24" dev lan0 || return 1; done
  if [ "$mode" = dual ]; then
    # Both on-premises gateways on the LAN (a bridge in gwA's namespace); hostA sends to the VNet over both.
    ip -n "$GA" link add br0 type bridge && ip -n "$GA" link set lan0 master br0 &&
    ip -n "$GA" addr del 10.1.0.1/24 dev lan0 && ip -n "$GA" addr add 10.1.0.1/24 dev br0 &&
    ip -n "$GA2" link add lan0 type veth peer name lan2 netns "$GA" &&
    ip -n "$GA" link set lan2 master br0 && ip -n "$GA" link set lan2 up && ip -n "$GA" link set br0 up &&
    ip -n "$GA2" addr add 10.1.0.2/24 dev lan0 && ip -n "$GA2" link set lan0 up &&
    ip -n "$HA" route add 10.2.0.0/24 nexthop via 10.1.0.1 nexthop via 10.1.0.2 || return 1
  else
    ip -n "$HA" route add 10.2.0.0/24 via 10.1.0.1 || return 1
  fi
  # The internet: one router, a /24 to each gateway and instance.
  ip -n "$GA" link add wan0 type veth peer name a0 netns "$INET" &&
  ip -n "$AZ0" link add wan0 type veth peer name z0 netns "$INET" &&
  ip -n "$AZ1" link add wan0 type veth peer name z1 netns "$INET" &&
  ip -n "$GA" addr add "$GWA_ADDR/24" dev wan0 && ip -n "$INET" addr add 192.0.2.254/24 dev a0 &&
  ip -n "$AZ0" addr add "$AZ0_ADDR/24" dev wan0 && ip -n "$INET" addr add 198.51.100.254/24 dev z0 &&
  ip -n "$AZ1" addr add "$AZ1_ADDR/24" dev wan0 && ip -n "$INET" addr add 203.0.113.254/24 dev z1 || return 1
  for n in "$GA" "$AZ0" "$AZ1"; do ip -n "$n" link set wan0 up || return 1; done
  for n in a0 z0 z1; do ip -n "$INET" link set "$n" up || return 1; done
  if [ "$mode" = dual ]; then
    ip -n "$GA2" link add wan0 type veth peer name a2 netns "$INET" &&
    ip -n "$GA2" addr add "$GWA2_ADDR/24" dev wan0 && ip -n "$INET" addr add 198.18.0.254/24 dev a2 &&
    ip -n "$INET" link set a2 up && ip -n "$GA2" link set wan0 up &&
    ip -n "$GA2" route add default via 198.18.0.254 || return 1
  fi
  # Default routes toward the internet only: FRR does not resolve BGP next hops over a default route, so a peer's
  # APIPA address is reachable exactly while its tunnel interface is up.
  ip -n "$GA" route add default via 192.0.2.254 && ip -n "$AZ0" route add default via 198.51.100.254 &&
  ip -n "$AZ1" route add default via 203.0.113.254 || return 1
  # The VNet behind both instances, its prefix on loopback.
  ip -n "$AZ0" link add lan0 type veth peer name az0 netns "$VN" &&
  ip -n "$AZ1" link add lan0 type veth peer name az1 netns "$VN" &&
  ip -n "$AZ0" addr add 10.99.0.1/30 dev lan0 && ip -n "$VN" addr add 10.99.0.2/30 dev az0 &&
  ip -n "$AZ1" addr add 10.99.0.5/30 dev lan0 && ip -n "$VN" addr add 10.99.0.6/30 dev az1 &&
  ip -n "$AZ0" link set lan0 up && ip -n "$AZ1" link set lan0 up && ip -n "$VN" link set az0 up && ip -n "$VN" link set az1 up &&
  ip -n "$VN" addr add 10.2.0.10/24 dev lo || return 1
  # kernel-libipsec routes what an SA's remote selectors cover into ipsec0 itself (table 220): with any-to-any
  # selectors that is everything, the VNet's link and BGP to it too. The instance's own routes (main: connected ones
  # and FRR's) come first; only what nothing there but the default route matches goes on to table 220.
  ip -n "$AZ0" rule add lookup main suppress_prefixlength 0 priority 100 &&
  ip -n "$AZ1" rule add lookup main suppress_prefixlength 0 priority 100
}

# The echo requests a gateway has sent into one of its tunnels so far.
tunnel_pings() { # ns interface
  ip netns exec "$1" nft list counter inet s2slab "$2" 2>/dev/null | sed -nE 's/.*packets ([0-9]+).*/\1/p'
}

# ---- FRR ----

# Starts zebra, then bgpd once zebra's socket is there, in namespace ns with dir/zebra.conf and dir/bgpd.conf. The
# directory must be the daemons' own (they run as frr), and reachable by them.
frr_start() { # ns dir
  chown frr:frr "$2"
  frr_daemon "$1" "$2" zebra zserv.api && frr_daemon "$1" "$2" bgpd bgpd.vty -p 179
}

# Starts one FRR daemon (zebra or bgpd) of frr_start in the foreground and waits until the socket it opens is there.
frr_daemon() { # ns dir daemon socket [option...]
  local ns=$1 d=$2 daemon=$3 socket=$4 pid
  shift 4
  ip netns exec "$ns" "$FRR_DIR/$daemon" -u frr -g frr -f "$d/$daemon.conf" -i "$d/$daemon.pid" -z "$d/zserv.api" \
    --vty_socket "$d" -P 0 --log "file:$d/$daemon.log" "$@" >>"$d/frr.out" 2>&1 &
  pid=$!
  LAB_PIDS+=("$pid")
  for _ in $(seq 100); do [ -S "$d/$socket" ] && return 0; kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  echo "$daemon did not start in $ns: $(tail -n 2 "$d/frr.out" "$d/$daemon.log" 2>/dev/null | tr '\n' ' ')" >&2
  return 1
}

vty() { local d=$1; shift; vtysh --vty_socket "$d" "$@" 2>&1; }

# An on-premises gateway's FRR with the recipe's frr.conf, the gateway's BGP address in place of 169.254.21.2: zebra
# and bgpd start bare, then vtysh gives them the integrated configuration, as Debian's frr service does (vtysh -b).
frr_start_recipe() { # ns dir bgp-address
  local ns=$1 d=$2
  mkdir -p "$d"
  sed -E "s/169\.254\.21\.2\b/$3/g" "$FRR_RECIPE" >"$d/frr.conf"
  printf 'hostname onprem\n' >"$d/zebra.conf"
  cp "$d/zebra.conf" "$d/bgpd.conf"
  : >"$d/vtysh.conf"
  frr_start "$ns" "$d" || return 1
  vtysh --vty_socket "$d" --config_dir "$d" -b >"$d/vtysh-b.out" 2>&1 ||
    { echo "vtysh -b with $d/frr.conf failed: $(tail -n 2 "$d/vtysh-b.out" | tr '\n' ' ')" >&2; return 1; }
}

# Whether bgpd of dir has an Established session with each of the peers.
bgp_established() { # dir peer...
  local d=$1 out p
  shift
  out=$(vty "$d" -c "show bgp summary json")
  for p in "$@"; do
    python3 -c 'import json, sys
d = json.loads(sys.argv[1]); p = d.get("ipv4Unicast", {}).get("peers", {}).get(sys.argv[2], {})
sys.exit(0 if p.get("state") == "Established" else 1)' "$out" "$p" 2>/dev/null || return 1
  done
}

wait_bgp() { # seconds dir peer...
  local end=$((SECONDS + $1)) d=$2
  shift 2
  while [ $SECONDS -lt $end ]; do bgp_established "$d" "$@" && return 0; sleep 0.3; done
  bgp_established "$d" "$@"
}

# What every bgpd of the case knows, for a case that failed: sessions, tables, and the kernel's routes.
bgp_dump() { # file
  local d
  for d in "$D"/frr*/ "$D"/*/frr/; do
    [ -S "$d/bgpd.vty" ] || continue
    { echo "== $d"; vty "$d" -c "show bgp summary" -c "show bgp ipv4" -c "show ip route" -c "show nexthop-group rib"; } >>"$1" 2>&1
  done
  { echo "== kernel of $GA"; ip -n "$GA" -d link show; ip -n "$GA" nexthop show; ip -n "$GA" route show; } >>"$1" 2>&1
}

# An instance's FRR: passive eBGP to each on-premises APIPA address, iBGP to the VNet router.
write_frr_instance() { # dir router-id vnet-peer onprem-apipa...
  local d=$1 id=$2 vnet=$3 p
  shift 3
  mkdir -p "$d"
  printf 'hostname azure-%s\n' "$id" >"$d/zebra.conf"
  {
    printf 'hostname azure-%s\nrouter bgp %s\n bgp router-id %s\n bgp log-neighbor-changes\n' "$id" "$BGP_AZURE_ASN" "$id"
    printf ' no bgp ebgp-requires-policy\n bgp fast-convergence\n timers bgp 60 180\n'
    printf ' neighbor %s remote-as internal\n neighbor %s next-hop-self\n neighbor %s timers connect 2\n' "$vnet" "$vnet" "$vnet"
    for p in "$@"; do
      printf ' neighbor %s remote-as %s\n neighbor %s ebgp-multihop 2\n neighbor %s update-source %s\n neighbor %s passive\n' \
        "$p" "$BGP_ONPREM_ASN" "$p" "$p" "$id" "$p"
    done
    printf ' address-family ipv4 unicast\n  maximum-paths 4\n  maximum-paths ibgp 4\n exit-address-family\n'
  } >"$d/bgpd.conf"
}

# The VNet's FRR: iBGP to both instances, the VNet prefix announced, ECMP back over both.
write_frr_vnet() { # dir
  local d=$1
  mkdir -p "$d"
  printf 'hostname vnet\n' >"$d/zebra.conf"
  cat >"$d/bgpd.conf" <<EOF
hostname vnet
router bgp $BGP_AZURE_ASN
 bgp router-id 10.99.0.2
 bgp log-neighbor-changes
 no bgp ebgp-requires-policy
 timers bgp 60 180
 neighbor 10.99.0.1 remote-as internal
 neighbor 10.99.0.1 timers connect 2
 neighbor 10.99.0.5 remote-as internal
 neighbor 10.99.0.5 timers connect 2
 address-family ipv4 unicast
  network 10.2.0.0/24
  maximum-paths ibgp 4
 exit-address-family
EOF
}

# ---- s2s ----

# One connection with one route-based child: the on-premises end of a tunnel to an Azure instance, or an instance's
# end, with Azure's custom IPsec/IKE policy GCMAES256 / SHA384 / ECP384 and no PFS.
s2s_tunnel_json() { # name local remote local-id remote-id interface local-apipa peer-apipa dpd-delay dpd-timeout start-action dpd-action
  cat <<EOF
    "$1": {
      "local_addrs": "$2", "remote_addrs": "$3",
      "proposals": "aes256gcm16-prfsha384-ecp384", "dpd_delay": "$9", "dpd_timeout": "${10}",
      "local": { "auth": "psk", "id": "$4" }, "remote": { "auth": "psk", "id": "$5" },
      "children": {
        "vnet": { "interface": "$6", "interface_addrs": ["$7 peer $8"], "esp_proposals": "aes256gcm16",
                  "start_action": "${11}", "dpd_action": "${12}" }
      }
    }
EOF
}

# ---- the instances as strongSwan ----

# Starts charon as an Azure instance in namespace ns with one tunnel to the on-premises gateway: any-to-any
# selectors, routes left to FRR (install_routes = no). Once ipsec0 is there it gets the instance's APIPA address with
# the on-premises one as its peer, so that FRR resolves its BGP peer through the tunnel while charon runs. Sets
# CHARON_PID.
instance_charon_start() { # ns dir local-addr onprem-addr instance-id apipa onprem-apipa
  local ns=$1 d=$2
  local C_LOCAL=$3 C_REMOTE=$4 C_ID=$5 C_PEER_ID=moon.s2s.test C_LTS=0.0.0.0/0 C_RTS=0.0.0.0/0
  local C_PROPOSALS=aes256gcm16-prfsha384-ecp384 C_ESP=aes256gcm16 C_EXTRA_CHARON="install_routes = no"
  mkdir -p "$d"
  write_charon_conf "$d"
  charon_start "$ns" "$d" || return 1
  for _ in $(seq 50); do ip -n "$ns" link show ipsec0 >/dev/null 2>&1 && break; sleep 0.1; done
  ip -n "$ns" addr add "$6" peer "$7/32" dev ipsec0 && ip -n "$ns" link set ipsec0 up ||
    { echo "could not put $6 on ipsec0 in $ns" >&2; return 1; }
}

# ---- the instances as s2s ----

# Starts s2s as an Azure instance (dual redundancy) with a route-based tunnel to each on-premises gateway given: vti0
# to the first, vti1 to the second, each with the instance's one BGP address and the gateway's as its peer; the
# instance answers and does not start tunnels (dpd_action clear), as Azure with APIPA BGP waits for the on-premises
# side. Then its FRR: passive BGP to every on-premises address, iBGP to the VNet. Sets AZ0_S2S or AZ1_S2S; returns 1
# with one line on stderr when something did not start.
instance_s2s_start() { # ns dir wan-addr ike-id apipa gw1-addr gw1-id gw1-apipa gw2-addr gw2-id gw2-apipa
  local ns=$1 d=$2 vnet
  mkdir -p "$d"
  cat >"$d/s2s.json" <<EOF
{
  "gateway": { "log_level": "info", "control_socket": "$d/s2s.ctl" },
  "connections": {
$(s2s_tunnel_json gw1 "$3" "$6" "$4" "$7" vti0 "$5" "$8" 5s 5s none clear),
$(s2s_tunnel_json gw2 "$3" "$9" "$4" "${10}" vti1 "$5" "${11}" 5s 5s none clear)
  },
  "secrets": {
    "ike-gw1": { "id": "$7", "secret": "interop-test-pre-shared-key" },
    "ike-gw2": { "id": "${10}", "secret": "interop-test-pre-shared-key" }
  }
}
EOF
  chmod 600 "$d/s2s.json"
  s2s_start "$ns" "$d/s2s.json" "$d/s2s.log" || return 1
  if [ "$ns" = "$AZ0" ]; then AZ0_S2S=$S2S_PID vnet=10.99.0.2; else AZ1_S2S=$S2S_PID vnet=10.99.0.6; fi
  write_frr_instance "$d/frr" "$5" "$vnet" "$8" "${11}" && frr_start "$ns" "$d/frr"
}
