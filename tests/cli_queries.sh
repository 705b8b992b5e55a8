#!/usr/bin/env bash
# cli_queries.sh: the query commands through the command line, on
# corpora-sample: table (Tables 7, 9, 11), quotes with context and --where,
# cooccur (matrix, pair, only:), streaks and timeline; every format parses
# (JSON lines, RFC 4180 CSV with as many fields per record as the header),
# text is aligned, and bad usage exits 2.
# The numbers are worked out by hand in tests/test_queries.c, next to the
# same questions asked through the library; here they pin the output shape.
# Both use tests/data/starter.yml, the starter codebook sample-counts.md lists.
# usage: cli_queries.sh PUPA CORPORA SOURCE_ROOT
source "$(dirname "$0")/lib_cli.sh" "$@"
ix=$tmp/ix bx=$tmp/bx
"$pupa" index "$sample" -l tests/data/starter.yml -o "$ix" 2>/dev/null || fail "index"
"$pupa" index "$sample" -l tests/data/behaviour.yml -o "$bx" 2>/dev/null || fail "index behaviour"

# Lexicon line numbers are the lexicon's business, not the queries'.
noline() { "$@" | sed -E 's/\.yml:[0-9]+/.yml:N/g'; }
# expect NAME: stdin is the expected output of the command that follows.
expect() {
  local name=$1; shift
  cat >"$tmp/want"
  "$@" >"$tmp/got" || fail "$name: exit $?"
  diff -u "$tmp/want" "$tmp/got" || fail "$name"
}

# Table 9: relation x setting x polarity, comments (test_queries.c, test_table9).
expect "table 9 text" "$pupa" table "$ix" --code relationships --depth 2 --by setting \
  --cross polarity --count comments <<'EOF'
Codes at depth 2 by setting x polarity; each cell: comments

                                   community             shelter
code                                negative  positive  negative  positive  Total
relationships/coworkers_employer           1         1         -         -      2
relationships/family                       -         7         -         -      7
relationships/father                       2         -         2         -      4
relationships/mother                       -         2         2         2      6
relationships/neighbors_community          -         4         -         -      4
relationships/parents_in_law               4         -         -         -      4
relationships/spouse_partner               2         2         -         -      4
Total                                      9        16         4         2     31
EOF

expect "table 9 tsv" "$pupa" table "$ix" --code relationships --depth 2 --by setting \
  --cross polarity --format tsv <<'EOF'
code	setting	polarity	individuals	comments
relationships/coworkers_employer	community	negative	1	1
relationships/coworkers_employer	community	positive	1	1
relationships/coworkers_employer	ALL	ALL	2	2
relationships/family	community	positive	3	7
relationships/family	ALL	ALL	3	7
relationships/father	community	negative	1	2
relationships/father	shelter	negative	1	2
relationships/father	ALL	ALL	2	4
relationships/mother	community	positive	1	2
relationships/mother	shelter	negative	1	2
relationships/mother	shelter	positive	1	2
relationships/mother	ALL	ALL	3	6
relationships/neighbors_community	community	positive	2	4
relationships/neighbors_community	ALL	ALL	2	4
relationships/parents_in_law	community	negative	1	4
relationships/parents_in_law	ALL	ALL	1	4
relationships/spouse_partner	community	negative	1	2
relationships/spouse_partner	community	positive	1	2
relationships/spouse_partner	ALL	ALL	1	4
EOF

# Table 11: discrimination source x group, shelter and community apart.
expect "table 11 shelter" "$pupa" table "$ix" --code discrimination --depth 2 --by group \
  --where setting=shelter <<'EOF'
Codes at depth 2 by group; each cell: individuals / comments

code                            Female SP  Total
discrimination/community            1 / 2  1 / 2
discrimination/shelter_program      1 / 2  1 / 2
Total                               2 / 4  2 / 4
EOF
expect "table 11 community" "$pupa" table "$ix" --code discrimination --depth 2 --by group \
  --where setting=community <<'EOF'
Codes at depth 2 by group; each cell: individuals / comments

code                      Female RC  Female SP/RC  Total
discrimination/community      1 / 1         1 / 2  2 / 3
discrimination/family             -         1 / 2  1 / 2
Total                         1 / 1         2 / 4  3 / 5
EOF
expect "table 11 csv individuals" "$pupa" table "$ix" --code discrimination --depth 2 \
  --by setting --by group --count individuals --format csv <<'EOF'
code,setting,group,individuals
discrimination/community,community,Female RC,1
discrimination/community,community,Female SP/RC,1
discrimination/community,shelter,Female SP,1
discrimination/community,ALL,ALL,3
discrimination/family,community,Female SP/RC,1
discrimination/family,ALL,ALL,1
discrimination/shelter_program,shelter,Female SP,1
discrimination/shelter_program,ALL,ALL,1
EOF

# Table 7: behaviour x setting x toward/away, on the invented behaviour lexicon.
expect "table 7" "$pupa" table "$bx" --depth 2 --by setting --cross direction --count comments <<'EOF'
Codes at depth 2 by setting x direction; each cell: comments

                                community          shelter
code                                 away  toward     away  toward  Total
behaviour/drugs_alcohol                 1       1        -       -      2
behaviour/employment                    1       3        -       1      5
behaviour/personal_health               -       1        -       -      1
behaviour/sex_work                      1       -        1       -      2
behaviour/violent_relationship          1       -        -       -      1
Total                                   4       5        1       1     11
EOF
# --cross NAME=LEVEL names the level outright: the same table.
"$pupa" table "$bx" --depth 2 --by setting --cross direction=3 --count comments >"$tmp/t7b"
cmp -s "$tmp/got" "$tmp/t7b" || fail "--cross direction=3 differs from --cross direction"

# Quotes: context before and after, interviewer turns included.
expect "quotes context" noline "$pupa" quotes "$ix" --code stigma --participant P002 --year 2011 \
  --context 1 <<'EOF'
Female Survivor, Age 16, 2011 (P002)
    I: តើអ្នកខ្លាចអ្វីទៀតទេ? Are you afraid of anything else?
  "ខ្ញុំខ្លាចអ្នកភូមិដឹងរឿងរបស់ខ្ញុំ។ ខ្ញុំ**ខ្មាស់គេ**។"
    P: I am afraid that the villagers will know my story. I feel ashamed.
  stigma | tests/data/starter.yml:N | 2011/P002_2011.txt segment 7, bytes 1539-1563

Female Survivor, Age 16, 2011 (P002)
    P: ខ្ញុំខ្លាចអ្នកភូមិដឹងរឿងរបស់ខ្ញុំ។ ខ្ញុំខ្មាស់គេ។
  "I am afraid that the villagers will know my story. I feel **ashamed**."
  stigma | tests/data/starter.yml:N | 2011/P002_2011.txt segment 8, bytes 1628-1635
EOF
# The same key twice means either: Female RC or Male SP/RC (P005 2014 s3,s4;
# P007 2012 s5 and s6, which holds "Trust" and "trust").
pick() { "$@" | cut -f2,3,5,6,7,10; }
expect "quotes where" pick "$pupa" quotes "$ix" --code trust --where "group=Female RC" \
  --where "group=Male SP/RC" --format tsv <<'EOF'
participant	year	doc	segment	lang	term
P005	2014	2014/P005_2014.txt	3	km	ទុកចិត្ត
P005	2014	2014/P005_2014.txt	4	en	trust
P007	2012	2012/P007_2012.txt	5	km	ទុកចិត្ត
P007	2012	2012/P007_2012.txt	6	en	Trust
P007	2012	2012/P007_2012.txt	6	en	trust
EOF

# Co-occurrence: the paper's cross-reference, in the community.
expect "cooccur only" "$pupa" cooccur "$ix" --unit participant-year \
  --pair 'only:relationships/*/negative' wellbeing/positive --where setting=community <<'EOF'
Cross-reference by participant-year

                                                          individuals  participant-years
only:relationships/*/negative                                       3                  3
wellbeing/positive                                                  4                  5
only:relationships/*/negative and wellbeing/positive                0                  0
only:relationships/*/negative and not wellbeing/positive            3                  3
wellbeing/positive and not only:relationships/*/negative            4                  5
neither                                                             6                 13
in scope                                                            8                 21
EOF
expect "cooccur pair csv" "$pupa" cooccur "$ix" --unit participant-year \
  --pair wellbeing/positive push_pull/insufficient_earnings --format csv <<'EOF'
set,definition,individuals,participant_years
a,wellbeing/positive,6,8
b,push_pull/insufficient_earnings,2,2
both,wellbeing/positive and push_pull/insufficient_earnings,0,0
a_not_b,wellbeing/positive and not push_pull/insufficient_earnings,6,8
b_not_a,push_pull/insufficient_earnings and not wellbeing/positive,2,2
neither,neither,8,17
scope,in scope,10,27
EOF
"$pupa" cooccur "$ix" --format csv >"$tmp/m.csv"
grep -qx "debt,wellbeing,5,10" "$tmp/m.csv" || fail "cooccur matrix: debt with wellbeing"
grep -qx "relationships,trust,1,2" "$tmp/m.csv" || fail "cooccur matrix: trust with relationships"
grep -qx "wellbeing,wellbeing,10,50" "$tmp/m.csv" || fail "cooccur matrix: the diagonal"
! grep -q "^wellbeing,debt," "$tmp/m.csv" || fail "cooccur matrix: a pair twice"

# Streaks.
expect "streaks" "$pupa" streaks "$ix" --code wellbeing/negative <<'EOF'
Participants with wellbeing/negative in 2 or more consecutive years: 6

participant  longest run  length  years with the code         group
P001           2011-2012       2            2011,2012     Female SP
P003           2011-2012       2            2011,2012  Female SP/RC
P004           2012-2014       3       2012,2013,2014     Female RC
P005           2012-2013       2            2012,2013     Female RC
P008           2013-2014       2            2013,2014     Female SP
P009           2013-2014       2            2013,2014     Female RC

group         with the code  with a run
Female RC                 3           3
Female SP                 3           2
Female SP/RC              1           1
Male SP/RC                2           0
Total                     9           6
EOF
expect "streaks interviews" "$pupa" streaks "$ix" --code relationships,push_pull --interviews \
  --summary --format tsv <<'EOF'
group	with_code	with_run
Female RC	3	3
Female SP	2	1
Female SP/RC	2	2
Male SP/RC	2	2
ALL	9	8
EOF

# Timeline.
expect "timeline" "$pupa" timeline "$ix" --participant P004 <<'EOF'
P004: codes at depth 1 year by year; each cell: comments

                        2011           2012           2013           2014
code           Female RC, 23  Female RC, 24  Female RC, 25  Female RC, 26
debt                       -              -              2              -
relationships              4              4              -              -
resilience                 -              -              2              2
violence                   -              1              4              -
wellbeing                  4              2              2              2
EOF
"$pupa" timeline "$ix" --participant P004 --quotes --format csv >"$tmp/tl.csv"
grep -q '^P004,2011,Female RC,23,relationships,4,2011/P004_2011.txt,3,relationships/spouse_partner/positive,' \
  "$tmp/tl.csv" || fail "timeline quote of relationships 2011"

# Every format of every command parses; CSV records have the header's width.
python3 - "$pupa" "$ix" <<'PY' || fail "formats"
import csv, io, json, subprocess, sys
pupa, ix = sys.argv[1], sys.argv[2]
cmds = [["table", ix, "--depth", "2", "--by", "year", "--cross", "polarity"],
        ["quotes", ix, "--code", "debt", "--context", "2"],
        ["cooccur", ix, "--unit", "participant-year", "--depth", "2"],
        ["cooccur", ix, "--pair", "trust", "only:wellbeing/positive"],
        ["streaks", ix, "--code", "wellbeing", "--min-years", "1"],
        ["timeline", ix, "--participant", "P002", "--depth", "3", "--quotes"]]
for c in cmds:
    out = subprocess.run([pupa] + c + ["--format", "json"], check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        json.loads(line)
    out = subprocess.run([pupa] + c + ["--format", "csv"], check=True, capture_output=True, text=True).stdout
    rows = list(csv.reader(io.StringIO(out, newline="")))
    assert rows and all(len(r) == len(rows[0]) for r in rows), (c, rows[:3])
# Quotes: the CSV text field, with its commas and quotes, is the JSON one.
j = [json.loads(l) for l in subprocess.run([pupa, "quotes", ix, "--code", "trust", "--context", "1", "--format", "json"],
     check=True, capture_output=True, text=True).stdout.splitlines()]
c = list(csv.DictReader(io.StringIO(subprocess.run([pupa, "quotes", ix, "--code", "trust", "--context", "1",
     "--format", "csv"], check=True, capture_output=True, text=True).stdout, newline="")))
assert len(j) == len(c) == 20, (len(j), len(c))
for a, b in zip(j, c):
    assert a["text"] == b["text"] and a["term"] == b["term"], (a, b)
    assert b["before"] == "\n".join(f'{t["speaker"]}: {t["text"]}' if t["speaker"] else t["text"] for t in a["before"])
print("formats ok")
PY
# Aligned: in the text table, every line after the heading has the same width.
"$pupa" table "$ix" --depth 2 --by year | tail -n +3 | awk '{ print length($0) }' | sort -u >"$tmp/w"
[ "$(wc -l <"$tmp/w")" = 1 ] || fail "table text is not aligned"

# Bad usage: exit 2, one line on stderr.
usage() {
  local rc=0
  "$pupa" "$@" >/dev/null 2>"$tmp/err" || rc=$?
  [ $rc = 2 ] || fail "expected exit 2 from: $* (got $rc)"
  [ "$(wc -l <"$tmp/err")" = 1 ] || fail "expected one line on stderr from: $*"
}
usage cooccur "$ix" --pair trust
usage cooccur "$ix" --unit paragraph
usage streaks "$ix"
usage streaks "$ix" --code trust --min-years 0
usage timeline "$ix"
usage table "$ix" --where setting
usage table "$ix" --count everything
usage table "$ix" --cross =3
usage table "$ix" --depth 0
usage quotes "$ix" --context x
for c in table quotes cooccur streaks timeline; do
  "$pupa" $c --help >/dev/null || fail "$c --help"
done
# A damaged term is a failure (exit 1) with the engine's message.
rc=0; "$pupa" cooccur "$ix" --pair only: trust >/dev/null 2>"$tmp/err" || rc=$?
[ $rc = 1 ] && grep -q "empty code term" "$tmp/err" || fail "empty term"
echo "cli_queries: all checks passed"
