#!/usr/bin/env bash
# The whole test suite: formatting, vet, every package's tests with the race
# detector (the store's on SQLite and on a throwaway PostgreSQL cluster), and
# short fuzzing runs of the origin grammar and of the WebSocket frame reader.
# It installs what the tests need when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== gofmt"
unformatted=$(gofmt -l $(find . -name '*.go' -not -path './data/*'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== PostgreSQL"
# A throwaway cluster, so the store tests run on SQLite and on PostgreSQL.
# It listens on a unix socket only (no port to collide with) and keeps fsync on.
sudo_=$([ "$(id -u)" = 0 ] || echo sudo)
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$pgbin" ]; then
	$sudo_ apt-get update -qq && $sudo_ apt-get install -y -qq postgresql >/dev/null
	pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
pgdir=$(mktemp -d)
$sudo_ chown postgres "$pgdir" && $sudo_ chmod 755 "$pgdir"
trap 'as_postgres "$pgbin/pg_ctl" -D "$pgdir/data" -m fast -w stop >/dev/null 2>&1 || true; $sudo_ rm -rf "$pgdir"' EXIT
as_postgres "$pgbin/initdb" -D "$pgdir/data" -U postgres -A trust -E UTF8 --no-instructions >/dev/null
as_postgres "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w \
	-o "-c listen_addresses='' -c unix_socket_directories='$pgdir' -c max_connections=500" start >/dev/null
as_postgres "$pgbin/psql" -q -h "$pgdir" -U postgres -c 'CREATE DATABASE interact_test' postgres
# The superuser may create databases of its own for other packages' tests.
export INTERACT_TEST_DATABASE_URL="postgres://postgres@/interact_test?host=$pgdir"

echo "== go test"
command -v chromium >/dev/null || { s=$([ "$(id -u)" = 0 ] || echo sudo); $s apt-get update -qq && $s apt-get install -y -qq chromium >/dev/null; } # the widget's browser tests
command -v turnserver >/dev/null || { s=$([ "$(id -u)" = 0 ] || echo sudo); $s apt-get update -qq && $s apt-get install -y -qq coturn >/dev/null; } # TURN: coturn's client and the benchmark's comparison
export INTERACT_REQUIRE_BROWSER=1 INTERACT_REQUIRE_COTURN=1
go test -race -count=1 -timeout 15m ./...

echo "== TURN relay benchmark (embedded server, then coturn under the same load)"
go test -run '^$' -bench '^BenchmarkRelay$' -benchtime 20000x ./turnserver

echo "== fuzz (origin grammar, WebSocket frame reader)"
# Budgets in executions (about 10-15 s each here), not in time: Go 1.26's
# fuzzing coordinator can fail a target with "context deadline exceeded"
# when a time budget runs out under load (go.dev/issue/75804).
go test -run '^$' -fuzz '^FuzzOriginPattern$' -fuzztime 100000x .
go test -run '^$' -fuzz '^FuzzParseOrigin$' -fuzztime 120000x .
go test -run '^$' -fuzz '^FuzzFrameReader$' -fuzztime 120000x ./realtime
