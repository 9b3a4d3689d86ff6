#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# `make bench`: bench_pg against a durable throwaway PostgreSQL cluster
# (fsync and synchronous_commit on), in a temporary folder removed after.
# usage: bench_pg.sh BUILDDIR
set -eu
top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-.}
dir=$(mktemp -d /tmp/cs-bench-pg.XXXXXX)
chmod 755 "$dir"
trap '"$top_srcdir/tests/pg/cluster.sh" stop "$dir/pg"; rm -rf "$dir"' EXIT
uri=$("$top_srcdir/tests/pg/cluster.sh" start "$dir/pg") || { echo "bench_pg: no PostgreSQL here: skipped"; exit 0; }
mkdir -p "$dir/homes"
CS_PG_URI=$uri "$build/tests/bench/bench_pg" "$dir/homes"
