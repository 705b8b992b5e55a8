#!/usr/bin/env bash
# cli_e2e.sh: pupa end to end through the command line, on corpora-sample.
#  - the table of the sample equals the hand-verified tests/expected values;
#  - every quote's byte span, read back from the source file, is its term;
#  - `pupa code --format json` prints the contract's shape;
#  - 1 and 2 threads give identical output in every format;
#  - re-indexing an unchanged corpus does no work and leaves the index as it was.
# usage: cli_e2e.sh PUPA CORPORA SOURCE_ROOT
source "$(dirname "$0")/lib_cli.sh" "$@"

"$pupa" index "$sample" -o "$tmp/ix1" -j 1 2>"$tmp/index.err" || { cat "$tmp/index.err"; fail "index"; }
"$pupa" index "$sample" -o "$tmp/ix2" -j 2 2>/dev/null || fail "index -j 2"

# The hand-verified table (tests/expected/sample-counts.md explains it).
"$pupa" table "$tmp/ix1" --depth 1 --by group --format tsv | tail -n +2 | sort >"$tmp/table.tsv"
tail -n +2 tests/expected/table-depth1-by-group.tsv | sort >"$tmp/expected.tsv"
diff -u "$tmp/expected.tsv" "$tmp/table.tsv" || fail "table differs from tests/expected"

# Every quote leads back to the exact words in the source file.
"$pupa" quotes "$tmp/ix1" --negated --format json >"$tmp/quotes.json"
python3 - "$sample" "$tmp/quotes.json" <<'PY' || fail "quote spans"
import json, sys
root, path = sys.argv[1], sys.argv[2]
n = 0
for line in open(path, encoding="utf-8"):
    q = json.loads(line)
    data = open(f"{root}/{q['doc'].split('#')[0]}", "rb").read()
    got = data[q["start"]:q["end"]].decode("utf-8")
    if got != q["term"]:
        sys.exit(f"{q['doc']} {q['start']}-{q['end']}: {got!r} != {q['term']!r}")
    n += 1
if n < 50:
    sys.exit(f"only {n} quotes: the sample should give more")
print(f"{n} quote spans checked")
PY

# The trust quotes are the hand-verified ones.
"$pupa" quotes "$tmp/ix1" --code trust --format json | python3 -c '
import json, sys
rows = sorted((q["doc"], q["segment"], q["term"]) for q in map(json.loads, sys.stdin))
exp = sorted((d, int(s), t) for d, s, t in (l.rstrip("\n").split("\t") for l in open("tests/expected/quotes-trust.tsv", encoding="utf-8").readlines()[1:] if l.strip()))
if rows != exp:
    sys.exit("trust quotes differ:\n got %s\n expected %s" % (rows, exp))
print(len(rows), "trust quotes as expected")' || fail "trust quotes"

# The contract's JSON shape, on a bilingual transcript.
"$pupa" code --format json tests/data/bilingual.txt >"$tmp/code.json" || fail "pupa code"
python3 - "$tmp/code.json" <<'PY' || fail "code json"
import json, sys
segs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
keys = ["doc", "participant", "year", "segment", "speaker", "lang", "start", "end", "codes"]
for s in segs:
    assert list(s) == keys, list(s)
    for c in s["codes"]:
        assert list(c) == ["code", "entry", "term", "start", "end", "negated"], list(c)
assert [s["segment"] for s in segs] == [1, 2, 3, 4], [s["segment"] for s in segs]
assert segs[0]["lang"] == "km" and segs[1]["lang"] == "en"
codes = lambda s: {c["code"].split("/")[0] for c in s["codes"]}
assert "trust" in codes(segs[0]), segs[0]
assert "trust" in codes(segs[1]), segs[1]
assert {"violence", "debt"} <= codes(segs[2]), segs[2]
assert segs[3]["codes"] == [], segs[3]
data = open("tests/data/bilingual.txt", "rb").read()
for s in segs:
    for c in s["codes"]:
        assert data[c["start"]:c["end"]].decode() == c["term"], c
        assert c["entry"].startswith("lexicons/butterfly.yml:"), c
print("code json shape ok")
PY

# One thread and two threads: identical output in every format.
for fmt in text csv tsv json; do
  for by in group year; do
    cmp <("$pupa" table "$tmp/ix1" --by $by --depth 2 --format $fmt) \
        <("$pupa" table "$tmp/ix2" --by $by --depth 2 --format $fmt) || fail "threads: table $by $fmt"
  done
  cmp <("$pupa" quotes "$tmp/ix1" --negated --format $fmt) \
      <("$pupa" quotes "$tmp/ix2" --negated --format $fmt) || fail "threads: quotes $fmt"
done

# The index itself is byte-identical for any thread count.
cmp "$tmp/ix1/data.mdb" "$tmp/ix2/data.mdb" || fail "threads: data.mdb differs"

# Unchanged corpus: no work, no change.
before=$(sha256sum "$tmp/ix1/data.mdb")
"$pupa" index "$sample" -o "$tmp/ix1" 2>"$tmp/again.err" || fail "re-index"
grep -q " 0 added, 0 changed, 0 removed" "$tmp/again.err" || { cat "$tmp/again.err"; fail "re-index did work"; }
[ "$before" = "$(sha256sum "$tmp/ix1/data.mdb")" ] || fail "re-index changed the index"
echo "cli_e2e: all checks passed"
