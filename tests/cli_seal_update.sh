#!/usr/bin/env bash
# cli_seal_update.sh: the seal an update writes, which hashes again only the
# parts of data.mdb LMDB may have written (seal.c, pupa_seal_track), is the
# seal of the whole file: after each kind of update, `pupa seal` (which
# hashes everything) writes the same size and checksum.  The corpus is the
# sample's files with a header copied 25 times (over 600 files), so updates
# span several batches, and pages a batch frees are written again by a later
# one.
# usage: cli_seal_update.sh PUPA CORPORA SOURCE_ROOT
source "$(dirname "$0")/lib_cli.sh" "$@"

corpus=$tmp/corpus
all=$tmp/all
many_sample "$all"
mkdir -p "$corpus"
cp -r "$all/2011" "$corpus/"
ix=$tmp/ix

# Size and checksum of the seal as the update wrote it, against `pupa seal`.
same_seal() {
  local wrote whole
  wrote=$(cut -d' ' -f1-3 "$ix/pupa.seal")
  "$pupa" seal "$ix" >/dev/null 2>"$tmp/err" || fail "$1: pupa seal: $(cat "$tmp/err")"
  whole=$(cut -d' ' -f1-3 "$ix/pupa.seal")
  [ "$wrote" = "$whole" ] || fail "$1: the update sealed '$wrote', the whole file is '$whole'"
}

"$pupa" index "$corpus" -o "$ix" -j 2 >/dev/null 2>"$tmp/err" || fail "first build: $(cat "$tmp/err")"
same_seal "new index"
cp -r "$all/2012" "$all/2013" "$all/2014" "$corpus/"
"$pupa" index "$corpus" -o "$ix" -j 2 >"$tmp/out" 2>&1 || fail "three years added: $(cat "$tmp/out")"
grep -q ' 0 failed' "$tmp/out" || fail "three years added: $(cat "$tmp/out")"
same_seal "three years added"

# A changed file and a removed one: their documents are deleted first.
# (Globs, not `ls | head`: under pipefail, ls killed by SIGPIPE fails the test.)
changed=("$corpus"/2012/*.txt)
removed=("$corpus"/2013/*.txt)
printf 'P: I trust my sister, and the debt is paid.\n' >>"${changed[0]}"
touch -d '+1 minute' "${changed[0]}"
rm "${removed[0]}"
"$pupa" index "$corpus" -o "$ix" -j 2 >/dev/null 2>"$tmp/err" || fail "changed and removed: $(cat "$tmp/err")"
same_seal "a file changed, one removed"

# Another lexicon: everything dropped and coded again, one thread.
"$pupa" index "$corpus" -o "$ix" -l "$src/tests/data/starter.yml" -j 1 >"$tmp/out" 2>&1 ||
  fail "another lexicon: $(cat "$tmp/out")"
grep -q ' 0 unchanged' "$tmp/out" || fail "another lexicon coded nothing again: $(cat "$tmp/out")"
same_seal "another lexicon"
"$pupa" quotes "$ix" --limit 1 >/dev/null 2>"$tmp/err" || fail "index unreadable: $(cat "$tmp/err")"
echo "cli_seal_update: all checks passed"
