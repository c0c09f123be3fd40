# interop/lib/strongswan6.sh - a strongSwan 6.0 peer for the lab: charon 6.0.1 from Debian 13 (trixie), run from a
# trixie root filesystem (debootstrap, cached under SWAN6_CACHE) chrooted inside a network namespace. Source it (after
# or without lab.sh); it defines functions and variables only, starts nothing. The host's apt is never touched
# beyond installing bookworm's debootstrap: trixie lives only inside the root filesystem.
#
#   swan6_rootfs                      builds the root filesystem once (70-100 s on 2 cores), then reuses it
#   swan6_write_conf DIR              strongswan.conf and swanctl.conf in DIR (the variables of write_charon_conf)
#   swan6_charon_start NS DIR         charon 6 in namespace NS, its config, log and vici socket in DIR
#   swan6_swanctl DIR args...         swanctl 6 from the same root filesystem against that vici socket
#   swan6_charon_stop                 stops it by PID (its mounts vanish with its mount namespace)
#
# DIR is bind-mounted at the same path inside the root filesystem (in charon's private mount namespace, and in
# each swanctl's), so every path in the configuration is the same inside and outside the chroot.

LAB_ROOT=${LAB_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SWAN6_CACHE=${SWAN6_CACHE:-/var/cache/s2s-interop}
SWAN6_ROOT=${SWAN6_ROOT:-$SWAN6_CACHE/trixie-swan6}
SWAN6_STAMP=$SWAN6_ROOT.stamp
SWAN6_SUITE=${SWAN6_SUITE:-trixie}
SWAN6_MIRROR=${SWAN6_MIRROR:-http://deb.debian.org/debian}
# Everything charon 6 and swanctl need, Recommends included (debootstrap installs no Recommends): openssl and gcm
# are in libstrongswan-standard-plugins, chapoly and curve25519 in libstrongswan-extra-plugins,
# kernel-libipsec in libcharon-extra-plugins.
SWAN6_PACKAGES=(strongswan-charon strongswan-swanctl libstrongswan-standard-plugins libstrongswan-extra-plugins
  libcharon-extra-plugins iproute2)
SWAN6_PID=""
SWAN6_DIR=""
# shellcheck source=packages.sh
declare -F s2s_install_packages >/dev/null || . "$LAB_ROOT/interop/lib/packages.sh"

# Builds the trixie root filesystem in SWAN6_ROOT unless its stamp file (SWAN6_ROOT.stamp: suite, date, and the
# versions of the strongSwan packages in it) is there. Installs bookworm's debootstrap on the host first (the one
# install function, as an extra package). Builds into a temporary directory that is renamed when complete, so an
# interrupted build leaves no half root filesystem behind; debootstrap runs in a private mount namespace, so the
# /proc and /sys it mounts in the target never show on the host even when it fails. Returns 0 when the root
# filesystem is ready; otherwise prints one line naming what failed and returns 1.
swan6_rootfs() {
  if [ -s "$SWAN6_STAMP" ] && [ -x "$SWAN6_ROOT/usr/sbin/swanctl" ]; then return 0; fi
  [ "$(id -u)" -eq 0 ] || { echo "swan6_rootfs: not root, cannot build $SWAN6_ROOT" >&2; return 1; }
  s2s_install_packages debootstrap || { echo "swan6_rootfs: debootstrap could not be installed on the host" >&2; return 1; }
  mkdir -p "$SWAN6_CACHE" || { echo "swan6_rootfs: cannot create $SWAN6_CACHE" >&2; return 1; }
  local tmp log inc rc=0
  tmp=$(mktemp -d "$SWAN6_ROOT.build.XXXXXX") || { echo "swan6_rootfs: mktemp in $SWAN6_CACHE failed" >&2; return 1; }
  log=$SWAN6_CACHE/trixie-swan6.debootstrap.log
  inc=$(IFS=,; echo "${SWAN6_PACKAGES[*]}")
  unshare --mount --propagation private -- \
    timeout 600 debootstrap --variant=minbase --include="$inc" "$SWAN6_SUITE" "$tmp" "$SWAN6_MIRROR" >"$log" 2>&1 || rc=$?
  if [ $rc -ne 0 ]; then
    rm -rf --one-file-system "$tmp"
    echo "swan6_rootfs: debootstrap $SWAN6_SUITE failed ($rc): $(grep -E '^(E|W):' "$log" | tail -n 2 | tr '\n' ' ')(log $log)" >&2
    return 1
  fi
  [ -x "$tmp/usr/sbin/swanctl" ] && swan6_charon_path "$tmp" >/dev/null ||
    { rm -rf --one-file-system "$tmp"; echo "swan6_rootfs: debootstrap gave no charon or swanctl in $tmp" >&2; return 1; }
  rm -rf --one-file-system "$SWAN6_ROOT" "$SWAN6_STAMP"
  mv "$tmp" "$SWAN6_ROOT" || { echo "swan6_rootfs: cannot rename $tmp to $SWAN6_ROOT" >&2; return 1; }
  {
    echo "suite $SWAN6_SUITE from $SWAN6_MIRROR, built $(date -u +%Y-%m-%dT%H:%M:%SZ) by debootstrap $(dpkg-query -W -f='${Version}' debootstrap)"
    chroot "$SWAN6_ROOT" dpkg-query -W -f='${Package} ${Version}\n' "${SWAN6_PACKAGES[@]}" libssl3t64 2>/dev/null
  } >"$SWAN6_STAMP.tmp" && mv "$SWAN6_STAMP.tmp" "$SWAN6_STAMP" ||
    { echo "swan6_rootfs: cannot write $SWAN6_STAMP" >&2; return 1; }
}

# Prints charon's path inside a root filesystem (default SWAN6_ROOT), as seen from inside it.
swan6_charon_path() { # [root]
  local r=${1:-$SWAN6_ROOT} p
  for p in /usr/lib/ipsec/charon /usr/libexec/ipsec/charon /usr/sbin/charon; do
    [ -x "$r$p" ] && { echo "$p"; return 0; }
  done
  return 1
}

# charon 6's plugins, explicit as lab.sh's CHARON_LOAD for charon 5.9.8: openssl before the software crypto plugins (AES-NI,
# and whatever OpenSSL 3.5 gives strongSwan), kernel-libipsec before kernel-netlink, socket-default, vici.
# swan6_charon_start checks that every one loaded. Debian 13 builds neither strongSwan's own ML-KEM plugin (ml) nor
# sha3, so neither is listed.
SWAN6_LOAD=${SWAN6_LOAD:-"random nonce openssl aes sha1 sha2 hmac kdf gcm chapoly curve25519 mgf1 drbg pem pkcs1 pkcs8 x509 pubkey gmp kernel-libipsec kernel-netlink socket-default vici updown"}

# strongswan.conf and swanctl.conf for charon 6 in dir: lab.sh's write_charon_conf (its C_* variables, C_PROPOSALS
# and C_ESP for the algorithms) with LAB_SWAN=6, which takes SWAN6_LOAD as the plugin list. Needs lab.sh sourced.
swan6_write_conf() { # dir
  declare -F write_charon_conf >/dev/null || { echo "swan6_write_conf: source interop/lib/lab.sh first" >&2; return 1; }
  LAB_SWAN=6 write_charon_conf "$1"
}

# The shell script run in a private mount namespace before exec'ing a program of the root filesystem: /dev bound,
# /proc and a private /run mounted, and the work directory bound at its own path (on a tmpfs /tmp when it lives under
# /tmp, so that no directory is ever created in the cached root filesystem for it). $1 root, $2 dir, the rest the
# command to exec in the chroot. Every mount dies with the mount namespace.
SWAN6_MOUNTS='r=$1 d=$2; shift 2
mount --rbind /dev "$r/dev" && mount -t proc proc "$r/proc" && mount -t tmpfs -o size=8m s2s-swan6-run "$r/run" || exit 97
case $d in /tmp/*) mount -t tmpfs -o size=8m s2s-swan6-tmp "$r/tmp" || exit 97 ;; esac
mkdir -p "$r$d" && mount --bind "$d" "$r$d" || exit 97
exec chroot "$r" env STRONGSWAN_CONF="$d/strongswan.conf" "$@"'

# Starts charon 6 from the root filesystem in namespace ns (lab.sh's lab_ns or ip netns add), in a private mount
# namespace, with dir/strongswan.conf (its vici socket dir/charon.vici, its log dir/charon.log); checks that it
# loaded every plugin of its load list (lab.sh's charon_plugins_check) and loads dir/swanctl.conf when there is one. Sets
# SWAN6_PID (also added to LAB_PIDS, so that lab_cleanup stops it). Returns 1 (one line on stderr) when it does not
# come up, 2 when it came up without a plugin it was asked to load.
swan6_charon_start() { # ns dir
  local ns=$1 d charon
  d=$(cd "$2" && pwd) || { echo "swan6_charon_start: no directory $2" >&2; return 1; }
  charon=$(swan6_charon_path) || { echo "swan6_charon_start: no charon in $SWAN6_ROOT (swan6_rootfs first)" >&2; return 1; }
  rm -f "$d/charon.vici"
  ip netns exec "$ns" unshare --mount --propagation private -- \
    sh -c "$SWAN6_MOUNTS" sh "$SWAN6_ROOT" "$d" "$charon" >>"$d/charon.out" 2>&1 &
  SWAN6_PID=$! SWAN6_DIR=$d
  LAB_PIDS+=("$SWAN6_PID")
  # 15 s, as lab.sh's charon_start: charon logs its plugins before it serves vici.
  for _ in $(seq 150); do
    [ -S "$d/charon.vici" ] && grep -q 'loaded plugins: ' "$d/charon.log" 2>/dev/null && break
    kill -0 "$SWAN6_PID" 2>/dev/null || break
    sleep 0.1
  done
  charon_plugins_check "$d" "charon 6" "see SWAN6_PACKAGES in interop/lib/strongswan6.sh" || return 2
  [ -S "$d/charon.vici" ] || { echo "charon 6 did not open its vici socket: $(tail -n 1 "$d/charon.out" 2>/dev/null)" >&2; return 1; }
  [ -f "$d/swanctl.conf" ] || return 0
  swan6_swanctl "$d" --load-all --file "$d/swanctl.conf" >"$d/load.out" 2>&1 ||
    { echo "swanctl 6 --load-all failed: $(tail -n 1 "$d/load.out")" >&2; return 1; }
}

# swanctl from the root filesystem against dir/charon.vici, in a private mount namespace of its own (a unix socket
# needs no network namespace); bounded to 30 s.
swan6_swanctl() { # dir args...
  local d
  d=$(cd "$1" && pwd) || { echo "swan6_swanctl: no directory $1" >&2; return 1; }
  shift
  timeout 30 unshare --mount --propagation private -- \
    sh -c "$SWAN6_MOUNTS" sh "$SWAN6_ROOT" "$d" swanctl "$@" --uri "unix://$d/charon.vici"
}

# Stops charon 6 (TERM, then KILL after 3 s) by its PID and forgets it; its mounts end with its mount namespace.
swan6_charon_stop() {
  local p=$SWAN6_PID keep=() q
  [ -n "$p" ] || return 0
  kill -TERM "$p" 2>/dev/null
  for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null
  { wait "$p"; } 2>/dev/null
  for q in "${LAB_PIDS[@]}"; do [ "$q" = "$p" ] || keep+=("$q"); done
  LAB_PIDS=("${keep[@]}")
  SWAN6_PID=""
}
