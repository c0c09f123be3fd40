#!/usr/bin/env bash
# fuzz/totals.sh [--write] - sums fuzz/stats.tsv per target into a Markdown table; --write puts it into
# fuzz/README.md between the totals markers.
set -euo pipefail
cd "$(dirname "$0")"

table() {
  printf '| target | hours | executions | paths (last run) | corpus (committed) | crashes | hangs | runs | last run |\n'
  printf '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n'
  for target in ike-message ike-sk ike-fragments esp-open config; do
    awk -F'\t' -v t="$target" -v kept="$(find "corpus/$target" -type f 2>/dev/null | wc -l)" '
      function commas(x,   s, r) { s = sprintf("%d", x); r = ""; while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) } return s r }
      $2 == t { s += $3; e += $4; p = $5; c += $7; h += $8; n++; d = substr($1, 1, 10) }
      END { printf "| %s | %.2f | %s | %d | %d | %d | %d | %d | %s |\n", t, s / 3600, commas(e), p, kept, c, h, n, (n ? d : "-") }' stats.tsv
  done
}

if [ "${1:-}" = --write ]; then
  table >/tmp/s2s-fuzz-totals.$$
  awk -v f=/tmp/s2s-fuzz-totals.$$ '
    /<!-- totals:begin -->/ { print; while ((getline line < f) > 0) print line; skip = 1; next }
    /<!-- totals:end -->/ { skip = 0 }
    !skip' README.md >README.md.new
  mv README.md.new README.md
  rm -f /tmp/s2s-fuzz-totals.$$
else
  table
fi
