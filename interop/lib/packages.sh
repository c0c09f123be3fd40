# interop/lib/packages.sh - the one list of Debian packages the suites, the demo, the golden capture and the
# benchmarks use, and the one function that installs them. Sourced by test.sh, interop/lib/lab.sh and
# interop/golden/capture.sh; defines variables and functions only.
#
# Installed with --no-install-recommends, so every package a script needs is named here, Recommends included:
# libstrongswan-standard-plugins (charon's openssl and gcm plugins) is only a Recommends of strongswan-charon.

S2S_APT_PACKAGES=(
  python3                        # test.sh (TRX counts), interop/lib/ikedelay.py, iperf3 JSON, golden/extract.py
  procps                         # sysctl in the lab's routers
  iproute2                       # ip netns, ip link/addr/route/rule, ss
  iputils-ping                   # ping through the tunnels
  tcpdump                        # keepalive, golden and Wireshark-keys captures
  libpcap0.8                     # s2s capture (SharpPcap loads libpcap)
  tshark                         # decrypts a capture with s2s's wireshark_keys files (interop scenario 12)
  nftables                       # the lab's NAT
  iperf3                         # throughput scenario and bench/tunnel.sh
  ethtool                        # bench/tunnel.sh: the veths' offloads off (tso, gso, gro) for plain routing's second row
  strongswan-charon              # charon 5.9.8
  strongswan-swanctl             # swanctl over vici
  strongswan-pki                 # pki: the CAs and gateway certificates of interop scenario 19 (certificate authentication)
  libstrongswan-standard-plugins # openssl, gcm (a Recommends only)
  libstrongswan-extra-plugins    # chapoly, curve25519
  libcharon-extra-plugins        # kernel-libipsec
  frr                            # zebra, bgpd and vtysh: BGP over the tunnels (interop scenarios 14 and 15)
)

# Prints the packages of the list (and of any extra arguments) that are not installed.
s2s_packages_missing() { # [extra package ...]
  local p
  for p in "${S2S_APT_PACKAGES[@]}" "$@"; do
    [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == *"install ok installed"* ]] || printf '%s\n' "$p"
  done
}

# Installs what is missing of the list (and of any extra arguments). Returns 0 when everything is installed
# afterwards; otherwise prints one line naming what is missing and why, and returns 1.
s2s_install_packages() { # [extra package ...]
  local missing
  mapfile -t missing < <(s2s_packages_missing "$@")
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "not root, so not installed: ${missing[*]}" >&2
    return 1
  fi
  # Package scripts must not start daemons (charon) on this machine: the tests start their own.
  local policy=/usr/sbin/policy-rc.d created=0 rc=0 out
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; created=1; fi
  echo "installing ${missing[*]}" >&2
  out=$(mktemp)
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$out" 2>&1 || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$out" 2>&1 || rc=$?
  [ $created -eq 1 ] && rm -f "$policy"
  if [ $rc -ne 0 ]; then
    echo "apt-get install ${missing[*]} failed ($rc): $(grep -E '^(E|W):' "$out" | head -n 3 | tr '\n' ' ')" >&2
    rm -f "$out"
    return 1
  fi
  rm -f "$out"
  mapfile -t missing < <(s2s_packages_missing "$@")
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "still not installed after apt-get: ${missing[*]}" >&2
  return 1
}
