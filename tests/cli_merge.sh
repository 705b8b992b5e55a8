#!/usr/bin/env bash
# cli_merge.sh: pupa index --shard K/N and pupa merge, on corpora-sample.
#  - three shards, built as separate processes by GNU parallel, merged in any
#    order, answer every query in every format byte for byte as one build;
#  - the merged data.mdb (and its seal) is byte-identical to one build's;
#  - re-indexing the merged index over the whole corpus finds nothing to do,
#    as does re-indexing a shard;
#  - the merged index is owner-only (folder 0700, files 0600);
#  - merging in a tree (--partial, then the parts) gives the same bytes;
#  - so does a merge of a corpus of several batches (the sample copied 25
#    times), whose last batch is its last files (index.h, pupa_batch_tail);
#  - merge refuses, in one line and leaving nothing behind: another lexicon,
#    a missing or repeated shard, overlapping indexes, an existing output,
#    and a shard whose sealed records are damaged.
# usage: cli_merge.sh PUPA CORPORA SOURCE_ROOT
source "$(dirname "$0")/lib_cli.sh" "$@"
command -v parallel >/dev/null || { echo "GNU parallel is not installed: skipped"; exit 77; }

"$pupa" index "$sample" -o "$tmp/single" -j 2 2>"$tmp/single.err" || { cat "$tmp/single.err"; fail "single build"; }

# Each shard in its own process, as a cluster job would build it.
parallel --will-cite --halt now,fail=1 \
  "'$pupa' index '$sample' --shard {}/3 -j {} -o '$tmp/shard{}' 2>'$tmp/shard{}.err'" ::: 1 2 3 \
  || { cat "$tmp"/shard*.err; fail "shard builds"; }
total=0
for k in 1 2 3; do
  n=$(sed -n 's/.*: \([0-9]*\) files: .*/\1/p' "$tmp/shard$k.err")
  [ "$n" -gt 0 ] || fail "shard $k is empty: the hash does not spread 27 files"
  total=$((total + n))
done
all=$(sed -n 's/.*: \([0-9]*\) files: .*/\1/p' "$tmp/single.err")
[ "$total" -eq "$all" ] || fail "shards hold $total files, the corpus $all"

"$pupa" merge -o "$tmp/merged" "$tmp/shard3" "$tmp/shard1" "$tmp/shard2" 2>"$tmp/merge.err" \
  || { cat "$tmp/merge.err"; fail "merge"; }
# The merge counts what the single build coded.
coded() { grep -o '[0-9]* documents, [0-9]* segments, [0-9]* hits' "$1" | sed 's/coded //'; }
[ "$(coded "$tmp/merge.err")" = "$(coded "$tmp/single.err")" ] \
  || fail "merge counts differ: $(cat "$tmp/merge.err") vs $(cat "$tmp/single.err")"

# Every query, every format: the same bytes and the same exit status.
participant=$(sed -n 's/^participant: //p' "$sample/2013/"*.txt | sort | sed -n 1p)  # sed, not head: no SIGPIPE
queries=(
  "quotes --negated" "quotes --code violence --year 2012-2013 --context 1"
  "table --depth 1 --by group" "table --depth 2 --by year" "table --depth 2 --by group --by year --negated"
  "cooccur --depth 1" "cooccur --unit participant-year --pair trust violence"
  "streaks --code relationships --min-years 2" "timeline --participant $participant --quotes"
)
for fmt in text csv tsv json; do
  for q in "${queries[@]}"; do
    set +e
    # shellcheck disable=SC2086
    "$pupa" ${q%% *} "$tmp/single" ${q#* } --format $fmt >"$tmp/a.out" 2>&1; a=$?
    # shellcheck disable=SC2086
    "$pupa" ${q%% *} "$tmp/merged" ${q#* } --format $fmt >"$tmp/b.out" 2>&1; b=$?
    set -e
    sed -i "s#$tmp/single#INDEX#g" "$tmp/a.out"
    sed -i "s#$tmp/merged#INDEX#g" "$tmp/b.out"
    [ $a -eq 0 ] && [ $b -eq 0 ] || { head -3 "$tmp/a.out" "$tmp/b.out"; fail "$q --format $fmt: exit $a single, $b merged"; }
    [ -s "$tmp/a.out" ] || fail "$q --format $fmt printed nothing"
    cmp -s "$tmp/a.out" "$tmp/b.out" || { diff "$tmp/a.out" "$tmp/b.out" | head; fail "$q --format $fmt differs"; }
  done
done

# The index itself: merge writes what build writes, in build's batches.
cmp "$tmp/single/data.mdb" "$tmp/merged/data.mdb" \
  || fail "merged data.mdb differs from one build's (merge.c mirrors build.c's writer: see its top)"
# Same size and checksum; a build also stamps its corpus (build.c), a merge
# has no corpus to stamp.
[ "$(cut -d' ' -f1-3 "$tmp/single/pupa.seal")" = "$(cat "$tmp/merged/pupa.seal")" ] \
  || fail "seals differ"
[ "$(wc -w < "$tmp/single/pupa.seal")" = 4 ] || fail "a build's seal has no corpus stamp"
[ "$(stat -c %a "$tmp/merged")" = 700 ] || fail "merged index folder is not 0700"
for f in "$tmp/merged"/*; do [ "$(stat -c %a "$f")" = 600 ] || fail "$f is not 0600"; done

# A tree of merges: two shards with --partial, then that with the third.
"$pupa" merge --partial -o "$tmp/part12" "$tmp/shard2" "$tmp/shard1" 2>/dev/null || fail "partial merge"
"$pupa" merge -o "$tmp/tree" "$tmp/part12" "$tmp/shard3" 2>/dev/null || fail "merge of a partial merge"
cmp "$tmp/single/data.mdb" "$tmp/tree/data.mdb" || fail "tree merge: data.mdb differs from one build's"

# Several batches, the last of them the corpus's last files.
many_sample "$tmp/many"
"$pupa" index "$tmp/many" -o "$tmp/many-single" -j 2 2>"$tmp/err" || fail "many: $(cat "$tmp/err")"
for k in 1 2 3; do
  "$pupa" index "$tmp/many" --shard $k/3 -j 1 -o "$tmp/many$k" 2>"$tmp/err" ||
    fail "many, shard $k: $(cat "$tmp/err")"
done
"$pupa" merge -o "$tmp/many-merged" "$tmp/many2" "$tmp/many3" "$tmp/many1" 2>"$tmp/err" ||
  fail "many, merge: $(cat "$tmp/err")"
cmp "$tmp/many-single/data.mdb" "$tmp/many-merged/data.mdb" ||
  fail "many batches: merged data.mdb differs from one build's"

# The files database came along: nothing to do over the whole corpus.
before=$(sha256sum <"$tmp/merged/data.mdb")
"$pupa" index "$sample" -o "$tmp/merged" 2>"$tmp/again.err" || { cat "$tmp/again.err"; fail "re-index merged"; }
grep -q " 0 added, 0 changed, 0 removed, $all unchanged" "$tmp/again.err" || { cat "$tmp/again.err"; fail "re-index of the merged index did work"; }
[ "$before" = "$(sha256sum <"$tmp/merged/data.mdb")" ] || fail "re-index changed the merged index"
before=$(sha256sum <"$tmp/shard2/data.mdb")
"$pupa" index "$sample" --shard 2/3 -o "$tmp/shard2" 2>"$tmp/again.err" || fail "re-index shard"
grep -q " 0 added, 0 changed, 0 removed" "$tmp/again.err" || { cat "$tmp/again.err"; fail "re-index of a shard did work"; }
[ "$before" = "$(sha256sum <"$tmp/shard2/data.mdb")" ] || fail "re-index changed a shard"

# Refusals: exit 1, one line naming the problem, no output left behind.
refuse() { # refuse PATTERN ARGS...: pupa merge -o $tmp/bad ARGS... must fail so
  local pattern=$1; shift
  if "$pupa" merge -o "$tmp/bad" "$@" 2>"$tmp/err"; then fail "merge $* succeeded"; fi
  [ "$(wc -l <"$tmp/err")" -eq 1 ] || { cat "$tmp/err"; fail "merge $*: not one line"; }
  grep -q -- "$pattern" "$tmp/err" || { cat "$tmp/err"; fail "merge $*: expected '$pattern'"; }
  [ ! -e "$tmp/bad" ] || fail "merge $*: left $tmp/bad behind"
}
printf 'trust:\n  - trust\n' >"$tmp/other.yml"
"$pupa" index "$sample" --shard 1/3 -l "$tmp/other.yml" -o "$tmp/other1" 2>/dev/null || fail "other lexicon"
refuse "another lexicon" "$tmp/other1" "$tmp/shard2" "$tmp/shard3"
refuse "shard 3/3 is missing (1 of 3 are)" "$tmp/shard1" "$tmp/shard2"
refuse "shard 1/3 is given twice" "$tmp/shard1" "$tmp/shard1" "$tmp/shard2" "$tmp/shard3"
refuse "shard 2/3 is given twice" "$tmp/part12" "$tmp/shard2" "$tmp/shard3"
refuse "shard 3/3 is missing" "$tmp/part12"
"$pupa" index "$sample" --shard 1/2 -o "$tmp/half1" 2>/dev/null || fail "shard 1/2"
refuse "give the shards of one --shard split" "$tmp/half1" "$tmp/shard1" "$tmp/shard2" "$tmp/shard3"
cp -r "$tmp/single" "$tmp/single2"
refuse "shards must not overlap" "$tmp/single" "$tmp/single2"
refuse "no index here" "$tmp/shard1" "$tmp/nowhere"
if "$pupa" merge -o "$tmp/merged" "$tmp/shard1" "$tmp/shard2" "$tmp/shard3" 2>"$tmp/err"; then
  fail "merge over an existing index"
fi
grep -q "already" "$tmp/err" || fail "existing output: $(cat "$tmp/err")"
set +e
"$pupa" merge "$tmp/shard1" >/dev/null 2>&1; [ $? -eq 2 ] || fail "merge without -o: not a usage error"
for bad in 0/3 4/3 3 x/3 1/0 -1/3; do
  "$pupa" index "$sample" --shard "$bad" -o "$tmp/bad" >/dev/null 2>&1
  [ $? -eq 2 ] || fail "--shard $bad: not a usage error"
done
set -e

# A damaged record behind a valid seal: the record checks catch it.
cp -r "$tmp/shard1" "$tmp/damaged"
python3 - "$tmp/damaged" <<'PY' || fail "could not damage the shard"
import re, struct, sys
d = sys.argv[1]
data = bytearray(open(f"{d}/data.mdb", "rb").read())
# A docs record starts: u32 year, u32 length, the relative path (index.c).
m = re.search(rb"\x00\x00\x07[\xd0-\xff]\x00\x00\x00[\x08-\x40]20\d\d/", bytes(data))
assert m, "no document record found"
data[m.start() + 4:m.start() + 8] = b"\x7f\xff\xff\x00"
open(f"{d}/data.mdb", "wb").write(data)
PY
# Re-sealed as it is, so that only the record checks stand between the
# damage and the merge.
"$pupa" seal "$tmp/damaged" || fail "pupa seal"
# "damaged document record" comes from the record decoder, past the seal.
refuse "damaged document record" "$tmp/damaged" "$tmp/shard2" "$tmp/shard3"
grep -q "^$tmp/bad: $tmp/damaged: " "$tmp/err" || fail "the error does not name the shard: $(cat "$tmp/err")"
echo "cli_merge: all checks passed"
