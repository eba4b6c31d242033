#!/bin/sh
# Runs every native Go fuzz target for FUZZTIME each (default 3s).
# `go test -fuzz` accepts one target per invocation in one package, so this
# loops over them. A failing input is saved under the package's
# testdata/fuzz/<Target>/ and from then on runs as a regular test case.
#   scripts/fuzz.sh            # every target, 3s each (make test)
#   FUZZTIME=5m scripts/fuzz.sh  # longer (make fuzz)
#   scripts/fuzz.sh ./api      # the targets of one package
set -eu
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-3s}
cd "$(dirname "$0")/.."
pkgs=${*:-$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u)}
status=0
for dir in $pkgs; do
	for target in $(grep -h '^func Fuzz' "$dir"/*_test.go | sed 's/^func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do
		echo "fuzz $dir $target ($FUZZTIME)"
		if ! $GO test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$dir"; then
			status=1
		fi
	done
done
exit $status
