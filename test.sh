#!/usr/bin/env bash
# The one test command. On a fresh Debian 12 machine with the .NET 10 SDK it is all the set-up:
# installs the apt packages the suites need (when root), restores NuGet packages, builds with warnings
# as errors, runs every suite, and ends with one line "N passed, N failed, N skipped" over all of them.
# Exit status is non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
RESULTS="$ROOT/artifacts/test-results"
CONFIG=Release

# The Debian packages the suites use: one list and one installer, shared with the lab and the demo.
# shellcheck source=interop/lib/packages.sh
. "$ROOT/interop/lib/packages.sh"

log() { printf 'test.sh: %s\n' "$*"; }

install_packages() {
  s2s_install_packages && return 0
  if [ "$(id -u)" -ne 0 ]; then
    log "suites that need these packages skip and say why"
    return 0
  fi
  [ "${CI:-}" = true ] && return 1
  return 0
}

PASSED=0 FAILED=0 SKIPPED=0

# Adds one suite's counts to the totals.
add_counts() { PASSED=$((PASSED + $1)); FAILED=$((FAILED + $2)); SKIPPED=$((SKIPPED + $3)); }

# Reads the Counters element of a VSTest TRX file: "passed failed skipped".
trx_counts() {
  python3 - "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
c = ET.parse(sys.argv[1]).getroot().find("t:ResultSummary/t:Counters", ns)
get = lambda k: int(c.get(k, "0"))
print(get("passed"), get("failed") + get("error") + get("timeout") + get("aborted"), get("notExecuted"))
PY
}

run_dotnet_suite() {
  local project=$1 name trx
  name=$(basename "$project" .csproj)
  trx="$RESULTS/$name.trx"
  log "suite $name"
  dotnet test "$project" -c "$CONFIG" --no-build --nologo \
    --logger "trx;LogFileName=$trx" --logger "console;verbosity=minimal" --results-directory "$RESULTS"
  local rc=$?
  if [ ! -f "$trx" ]; then
    log "$name produced no results (exit $rc)"
    add_counts 0 1 0
    return
  fi
  read -r p f s < <(trx_counts "$trx")
  [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
  log "$name: $p passed, $f failed, $s skipped"
  add_counts "$p" "$f" "$s"
  # What a test measured and wrote as "figure: ..." (the 100 road warriors' set-up time and memory, for instance).
  grep -o 'figure: [^<&]*' "$trx" | sort -u | while read -r line; do log "$name: ${line#figure: }"; done
}

# A script suite prints PASS/FAIL/SKIP lines and ends with "N passed, N failed[, N skipped]".
run_script_suite() { # script [argument ...]
  local script=$1 out rc line p f sk
  shift
  log "suite $script${*:+ $*}${S2S_OFFLOAD:+ (S2S_OFFLOAD=$S2S_OFFLOAD)}"
  out=$(bash "$script" "$@" 2>&1); rc=$?
  printf '%s\n' "$out"
  line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1)
  if [ -z "$line" ]; then
    log "$script printed no result line (exit $rc)"
    add_counts 0 1 0
    return
  fi
  p=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")
  f=$(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")
  sk=$(sed -nE 's/.*, ([0-9]+) skipped.*/\1/p' <<<"$line")
  [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
  add_counts "$p" "$f" "${sk:-0}"
}

finish() {
  echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
  [ "$FAILED" -eq 0 ]
  exit $?
}

install_packages || { add_counts 0 1 0; finish; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
rm -rf "$RESULTS"; mkdir -p "$RESULTS"

log "restore and build ($CONFIG, warnings as errors)"
if ! dotnet build S2SEndpoint.sln -c "$CONFIG" --nologo -v quiet -clp:ErrorsOnly; then
  log "build failed"
  add_counts 0 1 0
  finish
fi

for project in tests/*/*.Tests.csproj; do
  run_dotnet_suite "$project"
done

# The interop suite: s2s against real strongSwan 5.9.8 in network namespaces, twenty-one scenarios, most in both
# roles, FRR running BGP in the Azure redundancy ones, and strongSwan 6.0.1 from a Debian 13 root filesystem in the
# 21st (built by debootstrap on first use, 70-100 s, then cached in /var/cache/s2s-interop; with RFC 9370's hybrid
# key exchanges among its cases) (root; skips with a reason otherwise, fails under CI). About 16 minutes.
run_script_suite interop/run.sh

# The scenarios whose traffic goes through s2s's data path in bulk or in many forms (every proposal, two prefix
# pairs, route-based, iperf3, IPv6, TCP with MSS clamping), again with gateway.offload false: one packet per system
# call, the path the offloads are measured against (bench/tunnel.sh). About 3 minutes.
export S2S_OFFLOAD=off
run_script_suite interop/run.sh 1 4 5 10 16 17
unset S2S_OFFLOAD

finish
