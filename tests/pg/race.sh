#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Two servers of one shared store, saving at the same moment (run by
# suites.sh on its cluster): server A saves a record with an AI-drafted
# section; server B saves another record whose "human" section is a copy of
# that text. B's laundering search runs before B queues for the ledger, so
# this script makes it run while A's save waits in the writers' queue
# (someone else holds the queue), then lets both through, A first. B must
# still be refused: a save looks again, in the queue, at what was saved
# while it searched.
# usage: race.sh URI DIR
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
uri=$1
dir=$2
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
cli="$top_builddir/casescribe"
writers=7163917202330520371 # CS_PG_WRITER_LOCK in plugin/src/store/pg.c
fail() {
    echo "FAIL: $*"
    exit 1
}
q() {
    "$PGBIN/psql" "$uri" -qAt -c "$1"
}
wait_for() {
    n=0
    until [ "$(q "$1")" = "$2" ]; do
        n=$((n + 1))
        [ $n -lt 300 ] || return 1
        sleep 0.1
    done
}
mkdir -p "$dir"
export CASESCRIBE_STORE="$uri&options=-csearch_path%3Drace"
"$cli" --home "$dir/a" keygen > /dev/null && "$cli" --home "$dir/b" keygen > /dev/null || fail "keygen"
"$cli" --home "$dir/a" team enable cin-north ai-draft --actor admin-7 > /dev/null || fail "team enable"
text="Jo said the new bus route to the school makes the mornings much easier, that the family support worker now visits every Tuesday afternoon, and that Sam sleeps better since the bedroom was redecorated in October."
form() { # ID ORIGIN ATTRS
    cat << EOF
<form xmlns="urn:casescribe:form:1" id="$1" template="statutory-home-visit" team="cin-north" author="sw-017">
  <subject id="P-2" role="parent" name="Jo Example"/>
  <consent subject="P-2" given-by="self" method="verbal" capacity="has-capacity" at="2026-11-02T10:16:00Z" scopes="record-audio transcribe ai-draft"/>
  <section id="observations" origin="$2"$3>$text</section>
</form>
EOF
}
form RACE-A ai-draft ' engine="embedded:pocketsphinx" model="en-us"' > "$dir/a.xml"
form RACE-B human '' > "$dir/b.xml"

echo "-- the writers' queue held; A waits in it, then B searches and waits behind A"
"$PGBIN/psql" "$uri&application_name=race_holder" -qAt -c "SELECT pg_advisory_lock($writers)" \
    -c "SELECT pg_sleep(120)" > /dev/null 2>&1 &
holder=$!
wait_for "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'race_holder' AND query LIKE '%pg_sleep%'" 1 ||
    fail "the queue was not taken"
"$cli" --home "$dir/a" save "$dir/a.xml" -o "$dir/a-out.xml" --actor sw-017 > /dev/null 2> "$dir/a.err" &
a=$!
wait_for "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted" 1 || fail "A did not queue"
"$cli" --home "$dir/b" save "$dir/b.xml" -o "$dir/b-out.xml" --actor sw-018 > /dev/null 2> "$dir/b.err" &
b=$!
wait_for "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted" 2 ||
    fail "B did not search and queue behind A"
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'race_holder'" > /dev/null
wait "$holder" 2> /dev/null
wait "$a" || fail "A's save failed: $(cat "$dir/a.err")"
if wait "$b"; then
    fail "B saved A's AI text as a person's own: its search ran before A committed, and nothing looked again"
fi
grep -q "AI-drafted text\|drafted by AI" "$dir/b.err" || fail "B failed for another reason: $(cat "$dir/b.err")"
echo "  B refused: $(cut -c1-150 "$dir/b.err")..."
echo "race: ok"
