#!/usr/bin/env bash
# cli_stamp.sh: the corpus stamp in pupa.seal (build.c, corpus_stamp).
#  - a build that coded every file stamps its seal; re-indexing the unchanged
#    corpus then reads neither the index nor the lexicon: data.mdb is not
#    even opened, so a byte damaged in it goes unnoticed until a reader
#    (which verifies the checksum) or the next build with work to do;
#  - any change the stamp covers sends the build the long way: a touched
#    file, a manifest row, another lexicon, other turn labels (which code
#    every file again: they decide which turns are coded);
#  - a build with a failed file leaves no stamp, so the file is tried again;
#  - a corpus folder touched after the seal, with no file changed, is still
#    unchanged (the build only starts its lexicon early).
# usage: cli_stamp.sh PUPA CORPORA SOURCE_ROOT
source "$(dirname "$0")/lib_cli.sh" "$@"
cp -r corpora-sample "$tmp/corpus"
ix=$tmp/ix
summary() { "$pupa" index "$tmp/corpus" -o "$ix" "$@" 2>&1 >/dev/null | grep ' files: '; }

"$pupa" index "$tmp/corpus" -o "$ix" 2>/dev/null || fail "first index"
[ "$(wc -w <"$ix/pupa.seal")" = 4 ] || fail "no corpus stamp after a clean build"
cp "$ix/data.mdb" "$tmp/data.before"
summary | grep -q ' 0 added, 0 changed, 0 removed, 27 unchanged, 0 failed' \
  || fail "unchanged corpus: not all unchanged"
cmp "$ix/data.mdb" "$tmp/data.before" || fail "unchanged corpus: data.mdb changed"
# The corpus folder touched after the seal: the build takes it as a sign of
# work and starts loading the lexicon at once (-j 2), then finds none.
touch -d '+1 minute' "$tmp/corpus"
for j in 1 2; do
  summary -j $j | grep -q ' 0 added, 0 changed, 0 removed, 27 unchanged, 0 failed' \
    || fail "touched corpus folder, -j $j: not all unchanged"
  cmp "$ix/data.mdb" "$tmp/data.before" || fail "touched corpus folder, -j $j: data.mdb changed"
done
# With the folder still newer than the seal, a real change at -j 1 (no
# helper: the build hashes the check it began alone).
touch -d '+90 seconds' "$tmp/corpus/2014/P008_2014.txt"
summary -j 1 | grep -q ' 0 added, 1 changed, 0 removed, 26 unchanged, 0 failed' \
  || fail "touched folder and file, -j 1: not one changed"
cp "$ix/data.mdb" "$tmp/data.before"

# Damage one byte past the meta pages, same size.  The stamped re-index does
# not look; a reader and a build with work to do both refuse the index.
printf 'X' | dd of="$ix/data.mdb" bs=1 seek=20000 conv=notrunc 2>/dev/null
summary >/dev/null || fail "stamped re-index read the index"
"$pupa" table "$ix" >/dev/null 2>"$tmp/err" && fail "reader accepted a damaged index"
grep -q 'damaged' "$tmp/err" || fail "reader: no 'damaged' message"
touch -d '+1 minute' "$tmp/corpus/2013/P001_2013.txt"
"$pupa" index "$tmp/corpus" -o "$ix" 2>"$tmp/err" && fail "long way accepted a damaged index"
grep -q 'damaged' "$tmp/err" || fail "build: no 'damaged' message"
rm -rf "$ix"
"$pupa" index "$tmp/corpus" -o "$ix" 2>/dev/null || fail "index again"

# Each change the stamp covers is seen.
touch -d '+2 minutes' "$tmp/corpus/2013/P002_2013.txt"
summary | grep -q ' 0 added, 1 changed, 0 removed, 26 unchanged' || fail "touched file not re-read"
sed -i 's/^2014\/P008_2014.txt,P008,2014,Female SP/2014\/P008_2014.txt,P008,2014,Female RC/' \
  "$tmp/corpus/manifest.csv"
summary | grep -q ' 1 changed' || fail "changed manifest row not seen"
cp lexicons/butterfly.yml "$tmp/lex.yml"
summary -l "$tmp/lex.yml" | grep -q ' 0 changed, 0 removed, 27 unchanged' \
  || fail "the same lexicon bytes from another path: not unchanged"
printf '\n# a comment changes the bytes, not the codes\n' >>"$tmp/lex.yml"
summary -l "$tmp/lex.yml" | grep -q ' 27 unchanged' || fail "same codes: files should stay"
[ "$(wc -w <"$ix/pupa.seal")" = 4 ] || fail "no stamp after the long way"
summary -l "$tmp/lex.yml" --participant-labels P,R | grep -q ' 27 added' \
  || fail "other turn labels: every file must be coded again"

# A failed file: no stamp, and the next run reports it again.
printf -- '---\nparticipant: X001\nyear: 2013\n---\nP: bad \xff here\n' >"$tmp/corpus/bad.txt"
"$pupa" index "$tmp/corpus" -o "$ix" 2>/dev/null && fail "bad file: exit status 0"
[ "$(wc -w <"$ix/pupa.seal")" = 3 ] || fail "stamp written although a file failed"
"$pupa" index "$tmp/corpus" -o "$ix" 2>"$tmp/err" && fail "bad file: not tried again"
grep -q '^bad.txt:5: byte' "$tmp/err" || fail "bad file: error not repeated"
echo "cli_stamp: all checks passed"
