#!/usr/bin/env bash
# cli_escape.sh: a quote whose turn holds what each output format must
# escape or replace (double quotes, commas, a backslash, a tab, control
# characters), written as JSON lines, RFC 4180 CSV and TSV and parsed back:
# each gives the turn's own text (TSV: its tab as a space).
# usage: cli_escape.sh PUPA CORPORA SOURCE_ROOT
source "$(dirname "$0")/lib_cli.sh" "$@"
mkdir -p "$tmp/c/2012"
printf -- '---\nparticipant: P9\nyear: 2012\n---\nI: And then?\nP: I\ttrust "my" mother, and\\ my \001 sister; "trust", she said\002.\n' \
  >"$tmp/c/2012/P9_2012.txt"
"$pupa" index "$tmp/c" -l tests/data/starter.yml -o "$tmp/ix" 2>/dev/null || fail "index"
for fmt in json csv tsv; do
  "$pupa" quotes "$tmp/ix" --format "$fmt" >"$tmp/q.$fmt" || fail "quotes --format $fmt"
done
python3 - "$tmp" <<'EOF' || fail "a format did not give the turn's text back"
import csv, json, sys
d = sys.argv[1]
want = 'I\ttrust "my" mother, and\\ my \x01 sister; "trust", she said\x02.'
rows = [json.loads(line) for line in open(d + '/q.json', encoding='utf-8')]
assert len(rows) == 2 and all(r['text'] == want for r in rows), rows
with open(d + '/q.csv', newline='', encoding='utf-8') as f:
    recs = list(csv.DictReader(f))
assert len(recs) == 2 and all(r['text'] == want for r in recs), recs
lines = open(d + '/q.tsv', encoding='utf-8').read().split('\n')
head = lines[0].split('\t')
body = [line.split('\t') for line in lines[1:] if line]
assert len(body) == 2, body
assert all(len(b) == len(head) and b[head.index('text')] == want.replace('\t', ' ')
           for b in body), body
EOF
echo "cli_escape: ok"
