#!/usr/bin/env bash
# cli_seal.sh: the seal's checksum (seal.c, data_checksum) on a data.mdb of
# many chunks, which it hashes in parallel:
#  - the same seal for 1 and 2 OpenMP threads;
#  - one byte changed anywhere, or a cut file, is refused before LMDB reads it,
#    by a reader and by an update (at -j 1, and at -j 2, where its checksum
#    is hashed on two threads), which leaves it as it was;
#  - a seal written by an older pupa ("sealed", "sealed2", "sealed3 ...") is refused
#    with its reason;
#  - an update whose lexicon does not load (it loads beside the seal check)
#    fails before it marks the index "building": seal and data.mdb stay as
#    they were, and the index still answers.
# usage: cli_seal.sh PUPA CORPORA SOURCE_ROOT
source "$(dirname "$0")/lib_cli.sh" "$@"

ix=$tmp/ix
mkdir -m 700 "$ix"
# 20 MB of stand-in data: the checksum does not care what the bytes mean.
head -c $((20 * 1024 * 1024 + 12345)) /dev/urandom >"$ix/data.mdb"
OMP_NUM_THREADS=1 "$pupa" seal "$ix" || fail "seal, 1 thread"
cp "$ix/pupa.seal" "$tmp/seal.1"
OMP_NUM_THREADS=2 "$pupa" seal "$ix" || fail "seal, 2 threads"
cmp "$ix/pupa.seal" "$tmp/seal.1" || fail "the seal depends on the thread count"
grep -Eq '^sealed4 [0-9]+ [0-9a-f]{16}$' "$ix/pupa.seal" || fail "seal format: $(cat "$ix/pupa.seal")"

# The seal holds: the reader gets past it (and then finds no LMDB file).
"$pupa" table "$ix" >/dev/null 2>"$tmp/err" && fail "random bytes read as an index"
grep -q 'damaged' "$tmp/err" && fail "an intact file called damaged: $(cat "$tmp/err")"

cp "$ix/data.mdb" "$tmp/data.good"
for off in 0 4096 $((9 * 1024 * 1024 + 7)) $((20 * 1024 * 1024 + 12000)); do
  cp "$tmp/data.good" "$ix/data.mdb"
  printf '\x5a' | dd of="$ix/data.mdb" bs=1 seek=$off conv=notrunc 2>/dev/null
  cmp -s "$ix/data.mdb" "$tmp/data.good" && printf '\xa5' | dd of="$ix/data.mdb" bs=1 seek=$off conv=notrunc 2>/dev/null
  "$pupa" table "$ix" >/dev/null 2>"$tmp/err" && fail "byte $off changed: accepted"
  grep -q 'damaged' "$tmp/err" || fail "byte $off changed: $(cat "$tmp/err")"
  cp "$ix/data.mdb" "$tmp/data.bad"
  for j in 1 2; do
    "$pupa" index "$sample" -o "$ix" -j $j >/dev/null 2>"$tmp/err" &&
      fail "byte $off changed: an update at -j $j wrote to it"
    grep -q 'damaged' "$tmp/err" || fail "byte $off changed, update -j $j: $(cat "$tmp/err")"
    cmp -s "$ix/data.mdb" "$tmp/data.bad" || fail "byte $off changed: update -j $j touched it"
  done
done
# An intact file passes an update's check at either thread count, and LMDB
# then finds no index in the random bytes.
cp "$tmp/data.good" "$ix/data.mdb"
for j in 1 2; do
  cp "$tmp/seal.1" "$ix/pupa.seal"
  "$pupa" index "$sample" -o "$ix" -j $j >/dev/null 2>"$tmp/err" && fail "random bytes updated"
  grep -q 'damaged' "$tmp/err" && fail "update -j $j called an intact file damaged: $(cat "$tmp/err")"
  grep -q 'not an LMDB file' "$tmp/err" || fail "update -j $j of random bytes: $(cat "$tmp/err")"
  cmp -s "$ix/data.mdb" "$tmp/data.good" || fail "update -j $j changed random bytes"
done
cp "$tmp/seal.1" "$ix/pupa.seal"
cp "$tmp/data.good" "$ix/data.mdb"
truncate -s $((20 * 1024 * 1024)) "$ix/data.mdb"
"$pupa" table "$ix" >/dev/null 2>"$tmp/err" && fail "cut file accepted"
grep -q 'damaged' "$tmp/err" || fail "cut file: $(cat "$tmp/err")"

# Seals of the earlier checksums: one sequence, 4 MB chunks, then 64 KB units.
cp "$tmp/data.good" "$ix/data.mdb"
for tag in sealed sealed2 sealed3; do
  printf '%s %s 0123456789abcdef\n' $tag "$(stat -c %s "$ix/data.mdb")" >"$ix/pupa.seal"
  "$pupa" table "$ix" >/dev/null 2>"$tmp/err" && fail "old seal ($tag) accepted"
  grep -q 'older pupa' "$tmp/err" || fail "old seal ($tag): $(cat "$tmp/err")"
  grep -q 'run pupa seal' "$tmp/err" || fail "old seal ($tag): no way out named: $(cat "$tmp/err")"
done
real=$tmp/real
"$pupa" index "$sample" -o "$real" -j 2 >/dev/null 2>"$tmp/err" || fail "sample index: $(cat "$tmp/err")"
cp "$real/pupa.seal" "$tmp/real.seal"
cp "$real/data.mdb" "$tmp/real.mdb"
printf 'codes:\n  - [broken\n' >"$tmp/bad.yml"
for j in 1 2; do
  "$pupa" index "$sample" -l "$tmp/bad.yml" -o "$real" -j $j >/dev/null 2>"$tmp/err" &&
    fail "update -j $j with a broken lexicon succeeded"
  grep -q 'bad.yml:' "$tmp/err" || fail "broken lexicon, -j $j: $(cat "$tmp/err")"
  cmp -s "$real/pupa.seal" "$tmp/real.seal" || fail "broken lexicon, -j $j: seal now $(cat "$real/pupa.seal")"
  cmp -s "$real/data.mdb" "$tmp/real.mdb" || fail "broken lexicon, -j $j: data.mdb changed"
  "$pupa" table "$real" >/dev/null 2>"$tmp/err" || fail "broken lexicon, -j $j: index unreadable: $(cat "$tmp/err")"
done
echo "cli_seal: all checks passed"
