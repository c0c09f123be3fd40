#!/usr/bin/env bash
# fuzz/run.sh TARGET SECONDS - coverage-guided fuzzing of one target with AFL++ and SharpFuzz (see fuzz/README.md).
#
# Builds the harness (fuzz/S2SEndpoint.Fuzz) into artifacts/fuzz/bin/TARGET (so that targets can run side by side), instruments the project's assemblies there with
# sharpfuzz, runs afl-fuzz (niced) on the committed corpus fuzz/corpus/TARGET for SECONDS, minimizes the corpus and
# what afl-fuzz found with afl-cmin back into fuzz/corpus/TARGET, copies crashes and hangs to
# artifacts/fuzz/findings/TARGET, prints executions and paths, and appends a line to fuzz/stats.tsv.
# Needs root the first time (apt-get install afl++ through interop/lib/packages.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TARGETS=(ike-message ike-sk ike-fragments esp-open config tun-offload)

usage() { echo "usage: fuzz/run.sh TARGET SECONDS; targets: ${TARGETS[*]}" >&2; exit 2; }
log() { printf 'fuzz/run.sh: %s\n' "$*"; }

[ $# -eq 2 ] || usage
TARGET=$1 DURATION=$2
[[ " ${TARGETS[*]} " == *" $TARGET "* ]] || usage
[[ $DURATION =~ ^[0-9]+$ ]] && [ "$DURATION" -ge 10 ] || { echo "SECONDS must be a whole number, at least 10" >&2; exit 2; }

# shellcheck source=interop/lib/packages.sh
. "$ROOT/interop/lib/packages.sh"
s2s_install_packages afl++ || { log "afl++ is needed (run as root once)"; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

WORK=$ROOT/artifacts/fuzz
BIN=$WORK/bin/$TARGET
OUT=$WORK/out/$TARGET
FINDINGS=$WORK/findings/$TARGET
CORPUS=$ROOT/fuzz/corpus/$TARGET
STATS=$ROOT/fuzz/stats.tsv
HARNESS=("$(command -v dotnet)" "$BIN/S2SEndpoint.Fuzz.dll" run "$TARGET")

# Every run builds afresh: sharpfuzz refuses an assembly it has instrumented already.
log "build and instrument"
rm -rf "$BIN"
dotnet tool restore >/dev/null
dotnet publish fuzz/S2SEndpoint.Fuzz -c Release -o "$BIN" --nologo -v quiet
# The first corpus comes from the harness before instrumentation: instrumented code runs only under afl-fuzz.
if [ -z "$(ls -A "$CORPUS" 2>/dev/null)" ]; then
  dotnet "$BIN/S2SEndpoint.Fuzz.dll" seeds "$TARGET" "$CORPUS" "$ROOT"
fi
for dll in S2SEndpoint.Ike.dll S2SEndpoint.Esp.dll s2s.dll; do
  dotnet tool run sharpfuzz "$BIN/$dll" >/dev/null
done

export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1
export AFL_FORKSRV_INIT_TMOUT=60000
DICT=()
[ -f "$ROOT/fuzz/dict/$TARGET.dict" ] && DICT=(-x "$ROOT/fuzz/dict/$TARGET.dict")

# -t 5000: an input that runs 5 s is a hang (SharpFuzz's out-of-process server restarts the .NET child after one).
rm -rf "$OUT"
mkdir -p "$OUT" "$FINDINGS"
log "afl-fuzz $TARGET for $DURATION s (nice 19; log in $OUT.log)"
rc=0
timeout --signal=INT --kill-after=60 $((DURATION + 600)) \
  nice -n 19 afl-fuzz -i "$CORPUS" -o "$OUT" -t 5000 -m none -V "$DURATION" "${DICT[@]}" -- "${HARNESS[@]}" >"$OUT.log" 2>&1 || rc=$?
STATE=$OUT/default/fuzzer_stats
if [ ! -f "$STATE" ]; then
  log "afl-fuzz stopped before fuzzing (exit $rc); the end of its log:"
  tail -n 25 "$OUT.log"
  exit 1
fi
stat() { sed -nE "s/^$1 +: ([0-9]+).*/\1/p" "$STATE"; }
RUN_TIME=$(stat run_time) EXECS=$(stat execs_done) PATHS=$(stat corpus_count)
CRASHES=$(stat saved_crashes) HANGS=$(stat saved_hangs)

for kind in crashes hangs; do
  for f in "$OUT/default/$kind"/id:*; do
    [ -e "$f" ] || continue
    cp "$f" "$FINDINGS/$kind-$(sha256sum "$f" | cut -c1-16)"
  done
done

# Minimize the old corpus and everything afl-fuzz kept into the new corpus; name each input by its SHA-256.
log "minimize the corpus with afl-cmin"
MERGE=$WORK/merge/$TARGET
rm -rf "$MERGE"; mkdir -p "$MERGE/in"
cp "$CORPUS"/* "$MERGE/in/"
for f in "$OUT/default/queue"/id:*; do cp "$f" "$MERGE/in/queue-$(sha256sum "$f" | cut -c1-16)"; done
nice -n 19 afl-cmin -i "$MERGE/in" -o "$MERGE/min" -t 5000 -m none -- "${HARNESS[@]}" >"$MERGE.log" 2>&1 || {
  log "afl-cmin failed; the corpus is left as it was; the end of its log:"
  tail -n 25 "$MERGE.log"
  exit 1
}
rm -rf "$CORPUS"; mkdir -p "$CORPUS"
for f in "$MERGE/min"/*; do cp "$f" "$CORPUS/$(sha256sum "$f" | cut -c1-16)"; done
KEPT=$(find "$CORPUS" -type f | wc -l)

[ -f "$STATS" ] || printf 'date\ttarget\tseconds\texecutions\tpaths\tcorpus\tcrashes\thangs\n' >"$STATS"
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$TARGET" "$RUN_TIME" "$EXECS" "$PATHS" "$KEPT" "$CRASHES" "$HANGS" >>"$STATS"
log "$TARGET: $RUN_TIME s, $EXECS executions, $PATHS paths, corpus $KEPT after afl-cmin, $CRASHES crashes, $HANGS hangs"
[ "$CRASHES" -eq 0 ] && [ "$HANGS" -eq 0 ] || log "findings in $FINDINGS: replay (not instrumented) with: dotnet run --project fuzz/S2SEndpoint.Fuzz -c Release -- replay $TARGET FILE"
