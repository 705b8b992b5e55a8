#!/usr/bin/env bash
# cli_bad_input.sh: bad files get one line each naming file, line and byte;
# the rest of the corpus is indexed; nothing already indexed is lost.
# usage: cli_bad_input.sh PUPA CORPORA SOURCE_ROOT
source "$(dirname "$0")/lib_cli.sh" "$@"
cp -r corpora-sample "$tmp/corpus"
"$pupa" index "$tmp/corpus" -o "$tmp/good" 2>/dev/null || fail "clean index"
"$pupa" table "$tmp/good" --format tsv >"$tmp/good.tsv"

# Invalid UTF-8 on line 9, a file with no participant, an unterminated header.
printf -- '---\nparticipant: X001\nyear: 2013\n---\nP: fine line\nP: fine\nP: fine\nP: still fine\nP: bad \xff\xfe here\n' >"$tmp/corpus/bad_utf8.txt"
printf -- '---\nyear: 2013\n---\nP: I trust nobody.\n' >"$tmp/corpus/no_participant.txt"
printf -- '---\nparticipant: X003\nyear: 2013\nP: never closed\n' >"$tmp/corpus/open_header.txt"
"$pupa" index "$tmp/corpus" -o "$tmp/ix" 2>"$tmp/err" && fail "exit status 0 despite bad files"
grep -v '^/.*files:' "$tmp/err" | grep -v 'files: .* added' >"$tmp/errors" || true
cat "$tmp/errors"
[ "$(wc -l <"$tmp/errors")" -eq 3 ] || fail "expected 3 error lines"
grep -Eq '^bad_utf8\.txt:9: byte [0-9]+: .*UTF-8' "$tmp/errors" || fail "utf-8 error must name file, line 9, byte"
grep -Eq '^no_participant\.txt:[0-9]+: byte [0-9]+: .*participant' "$tmp/errors" || fail "missing participant"
grep -Eq '^open_header\.txt:1: byte 0: .*header' "$tmp/errors" || fail "unterminated header"
"$pupa" table "$tmp/ix" --format tsv | cmp - "$tmp/good.tsv" || fail "good files not all indexed"

# A good file turned bad keeps its indexed version.
victim=$(cd "$tmp/corpus" && find . -name '*.txt' -path './20*' | sort | sed -n 1p)  # sed reads it all: no SIGPIPE under pipefail
printf '\xff' >>"$tmp/corpus/$victim"
touch -d '+1 minute' "$tmp/corpus/$victim"
"$pupa" index "$tmp/corpus" -o "$tmp/ix" 2>/dev/null && fail "exit status 0"
"$pupa" table "$tmp/ix" --format tsv | cmp - "$tmp/good.tsv" || fail "indexed data lost"

# A damaged index gives an error, not a crash.
mkdir "$tmp/notindex"
"$pupa" table "$tmp/notindex" >/dev/null 2>&1 && fail "empty folder read as index"
cp -r "$tmp/ix" "$tmp/broken"
dd if=/dev/zero of="$tmp/broken/data.mdb" bs=1 seek=4096 count=8192 conv=notrunc 2>/dev/null
set +e
"$pupa" table "$tmp/broken" >/dev/null 2>&1; rc=$?
set -e
[ $rc -le 2 ] || fail "damaged index crashed (status $rc)"
echo "cli_bad_input: all checks passed"
