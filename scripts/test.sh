#!/usr/bin/env bash
# The whole test suite: formatting, vet, every package's tests with the race
# detector, and a short fuzzing run of the origin grammar. It installs what
# the tests need when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== gofmt"
unformatted=$(gofmt -l $(find . -name '*.go' -not -path './data/*'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== go test"
command -v chromium >/dev/null || { s=$([ "$(id -u)" = 0 ] || echo sudo); $s apt-get update -qq && $s apt-get install -y -qq chromium >/dev/null; } # the widget's browser tests
command -v turnserver >/dev/null || { s=$([ "$(id -u)" = 0 ] || echo sudo); $s apt-get update -qq && $s apt-get install -y -qq coturn >/dev/null; } # TURN: coturn's client and the benchmark's comparison
export INTERACT_REQUIRE_BROWSER=1 INTERACT_REQUIRE_COTURN=1
go test -race -count=1 -timeout 15m ./...

echo "== TURN relay benchmark (embedded server, then coturn under the same load)"
go test -run '^$' -bench '^BenchmarkRelay$' -benchtime 20000x ./turnserver

echo "== fuzz (origin grammar)"
go test -run '^$' -fuzz '^FuzzOriginPattern$' -fuzztime 15s .
go test -run '^$' -fuzz '^FuzzParseOrigin$' -fuzztime 10s .
