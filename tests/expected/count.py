#!/usr/bin/env python3
"""Independent reference count for corpora-sample/ against lexicons/butterfly.yml.

Written separately from the C engine, to produce the hand-checked expected
values in tests/expected/. It follows the matching rules of contracts.md
sections 2-3 as spelled out in tests/expected/sample-counts.md:

  * segments: participant turns (P/R/Participant/Respondent/Interviewee);
    interviewer turns are not coded; a file without speaker labels codes
    each blank-line-separated paragraph; continuation lines join the turn;
  * tokens: ICU word break (system libicuuc through ctypes, word-like
    segments only), NFKC case fold (ICU), then Khmer folding
    (coeng-da -> coeng-ta, U+17B1 QOO TYPE ONE + coeng-yo -> U+17B2 ...);
  * English entries: `word` whole token, `word*` token prefix, `a b`
    consecutive tokens separated only by whitespace;
  * Khmer entries: a run of Khmer tokens, separated by nothing or whitespace
    only, whose concatenation equals the entry with its spaces removed
    (so a hit starts and ends on an ICU word boundary);
  * negation: a cue among the 3 word tokens before the hit's first token
    (English cue list; Khmer tokens starting with មិន អត់ គ្មាន ពុំ).

Usage:  python3 tests/expected/count.py [--write] [--hits]
  --hits   print every hit (and near misses) for review
  --write  rewrite table-depth1-by-group.tsv and quotes-trust.tsv
Needs Python 3, PyYAML and the system ICU shared library.
"""
import csv
import ctypes
import ctypes.util
import os
import re
import sys
from collections import defaultdict

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
CORPUS = os.path.join(ROOT, "corpora-sample")
LEXICON = os.path.join(ROOT, "lexicons", "butterfly.yml")

GROUPS = ["Female SP", "Female SP/RC", "Female RC", "Male SP/RC"]
P_LABELS = {"P", "R", "Participant", "Respondent", "Interviewee"}
I_LABELS = {"I", "Q", "Interviewer"}
LABEL_RE = re.compile(r"^(P|R|Participant|Respondent|Interviewee|I|Q|Interviewer)\s*:\s?(.*)$")
EN_CUES = {"not", "no", "never", "don't", "cannot", "can't", "won't", "didn't",
           "doesn't", "isn't", "wasn't", "nobody", "nothing"}
KM_CUES = ("មិន", "អត់", "គ្មាន", "ពុំ")
NEG_WINDOW = 3
CLAUSE_PUNCT = set(".,;:!?។៕\"()")


# ---------------------------------------------------------------- ICU (ctypes)
def _load_icu():
    name = ctypes.util.find_library("icuuc") or "libicuuc.so"
    lib = ctypes.CDLL(name)
    for suffix in [""] + ["_%d" % v for v in range(90, 49, -1)]:
        if hasattr(lib, "ubrk_open" + suffix):
            return lib, suffix
    raise RuntimeError("cannot find ubrk_open in " + name)


_uc, _sfx = _load_icu()


def _fn(name, res, *args):
    f = getattr(_uc, name + _sfx)
    f.restype = res
    f.argtypes = list(args)
    return f


_P = ctypes.c_void_p
_ST = ctypes.POINTER(ctypes.c_int)
ubrk_open = _fn("ubrk_open", _P, ctypes.c_int, ctypes.c_char_p, _P, ctypes.c_int32, _ST)
ubrk_first = _fn("ubrk_first", ctypes.c_int32, _P)
ubrk_next = _fn("ubrk_next", ctypes.c_int32, _P)
ubrk_status = _fn("ubrk_getRuleStatus", ctypes.c_int32, _P)
ubrk_close = _fn("ubrk_close", None, _P)
unorm2_cf = _fn("unorm2_getNFKCCasefoldInstance", _P, _ST)
unorm2_normalize = _fn("unorm2_normalize", ctypes.c_int32, _P, _P, ctypes.c_int32, _P,
                       ctypes.c_int32, _ST)


def icu_words(s):
    """Word-like ICU word-break segments of s as (start, end) code point offsets."""
    b = s.encode("utf-16-le")
    n = len(b) // 2
    buf = ctypes.create_string_buffer(b, len(b) + 2)
    st = ctypes.c_int(0)
    bi = ubrk_open(1, b"", buf, n, ctypes.byref(st))  # UBRK_WORD, root locale
    if st.value > 0:
        raise RuntimeError("ubrk_open failed: %d" % st.value)
    cp = {}
    u = 0
    for i, ch in enumerate(s):
        cp[u] = i
        u += 2 if ord(ch) > 0xFFFF else 1
    cp[u] = len(s)
    out = []
    p = ubrk_first(bi)
    while True:
        q = ubrk_next(bi)
        if q == -1:
            break
        if ubrk_status(bi) >= 100:  # UBRK_WORD_NONE is [0,100): spaces, punctuation
            out.append((cp[p], cp[q]))
        p = q
    ubrk_close(bi)
    return out


def nfkc_casefold(s):
    st = ctypes.c_int(0)
    norm = unorm2_cf(ctypes.byref(st))
    src = s.encode("utf-16-le")
    n = len(src) // 2
    cap = 4 * n + 16
    dst = ctypes.create_string_buffer(2 * cap)
    st = ctypes.c_int(0)
    m = unorm2_normalize(norm, ctypes.create_string_buffer(src, len(src) + 2), n, dst, cap,
                         ctypes.byref(st))
    if st.value > 0:
        raise RuntimeError("unorm2_normalize failed: %d" % st.value)
    return dst.raw[: 2 * m].decode("utf-16-le")


def khmer_fold(s):
    s = s.replace("\u17D2\u178A", "\u17D2\u178F")          # coeng-da -> coeng-ta
    s = s.replace("\u17B1\u17D2\u1799", "\u17B2\u17D2\u1799")  # ឱ្យ -> ឲ្យ
    return s


def norm(s):
    return khmer_fold(nfkc_casefold(s))


def is_khmer(s):
    return any("\u1780" <= c <= "\u17FF" or "\u19E0" <= c <= "\u19FF" for c in s)


# ---------------------------------------------------------------- corpus
def read_manifest():
    path = os.path.join(CORPUS, "manifest.csv")
    rows = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8-sig", newline="") as f:
            for r in csv.DictReader(f):
                rows[r["file"]] = r
    return rows


def parse_file(rel, manifest):
    raw = open(os.path.join(CORPUS, rel), "rb").read()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    lines = raw.decode("utf-8").replace("\r\n", "\n").split("\n")
    meta = dict(manifest.get(rel, {}))
    meta.pop("file", None)
    i = 0
    if lines and lines[0].strip() == "---":
        j = 1
        while lines[j].strip() != "---":
            k, _, v = lines[j].partition(":")
            meta[k.strip()] = v.strip()
            j += 1
        i = j + 1
    body = lines[i:]
    segs = []  # participant segments: text
    labelled = any(LABEL_RE.match(l) for l in body)
    if labelled:
        cur = None  # (label, [lines])
        turns = []
        for l in body:
            m = LABEL_RE.match(l)
            if m:
                cur = [m.group(1), [m.group(2)]]
                turns.append(cur)
            elif cur is not None and l.strip():
                cur[1].append(l)
        segs = ["\n".join(t[1]) for t in turns if t[0] in P_LABELS]
        n_turns = len(turns)
    else:
        para = []
        for l in body + [""]:
            if l.strip():
                para.append(l)
            elif para:
                segs.append("\n".join(para))
                para = []
        n_turns = len(segs)
    return meta, segs, n_turns, labelled


# ---------------------------------------------------------------- lexicon
def read_lexicon():
    data = yaml.safe_load(open(LEXICON, encoding="utf-8"))
    entries = []  # (code, entry_text, kind, payload)

    def walk(node, path):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, path + [str(k)])
        else:
            for e in node:
                code = "/".join(path)
                if is_khmer(e):
                    entries.append((code, e, "km", norm(e.replace(" ", ""))))
                else:
                    parts = []
                    for w in e.split():
                        pre = w.endswith("*")
                        parts.append((norm(w.rstrip("*")), pre))
                    entries.append((code, e, "en", parts))

    walk(data, [])
    return data, entries


# ---------------------------------------------------------------- matching
def only_space(s):
    return all(c.isspace() or c == "\u200b" for c in s)


def code_segment(text, entries):
    spans = icu_words(text)
    toks = [(a, b, text[a:b], norm(text[a:b])) for a, b in spans]
    hits = []
    for code, entry, kind, pay in entries:
        for i, (a, b, o, t) in enumerate(toks):
            end_i = None
            if kind == "en":
                if is_khmer(t):
                    continue
                ok = True
                j = i
                for n, (w, pre) in enumerate(pay):
                    if j >= len(toks):
                        ok = False
                        break
                    if n and not only_space(text[toks[j - 1][1]:toks[j][0]]):
                        ok = False
                        break
                    tj = toks[j][3]
                    if not (tj.startswith(w) if pre else tj == w):
                        ok = False
                        break
                    j += 1
                if ok:
                    end_i = j - 1
            else:
                if not is_khmer(t) or not pay.startswith(t):
                    continue
                acc = t
                j = i
                while len(acc) < len(pay):
                    j += 1
                    if j >= len(toks) or not only_space(text[toks[j - 1][1]:toks[j][0]]):
                        break
                    if not is_khmer(toks[j][3]):
                        break
                    acc += toks[j][3]
                if acc == pay:
                    end_i = j
            if end_i is None:
                continue
            prev = toks[max(0, i - NEG_WINDOW):i]

            def cue(t):
                return t in EN_CUES or t.startswith(KM_CUES)

            negated = any(cue(p[3]) for p in prev)
            # same check, but not looking back across clause punctuation
            clause_prev = []
            for k in range(i - 1, max(-1, i - NEG_WINDOW - 1), -1):
                gap = text[toks[k][1]:toks[k + 1][0]]
                if any(c in CLAUSE_PUNCT for c in gap):
                    break
                clause_prev.append(toks[k])
            negated_clause = any(cue(p[3]) for p in clause_prev)
            hits.append(dict(code=code, entry=entry, start=a, end=toks[end_i][1],
                             text=text[a:toks[end_i][1]], negated=negated,
                             negated_clause=negated_clause,
                             prev=[p[2] for p in prev]))
    hits.sort(key=lambda h: (h["start"], h["code"]))
    return hits, toks


def near_misses(text, entries, hits):
    """Entry strings occurring in the text (loosely) that produced no hit there."""
    out = []
    low = norm(text)
    flat = low.replace(" ", "")
    hit_entries = {h["entry"] for h in hits}
    for code, entry, kind, pay in entries:
        if entry in hit_entries:
            continue
        if kind == "km":
            if pay in flat:
                out.append((code, entry))
        else:
            key = " ".join(w for w, _ in pay)
            if re.search(re.escape(key), low):
                out.append((code, entry))
    return out


# ---------------------------------------------------------------- main
def main():
    args = set(sys.argv[1:])
    data, entries = read_lexicon()
    manifest = read_manifest()
    files = sorted(os.path.relpath(os.path.join(d, f), CORPUS)
                   for d, _, fs in os.walk(CORPUS) for f in fs if f.endswith(".txt"))
    depth1 = list(data.keys())
    # per depth-1 code, per group: participants, segments
    ind = defaultdict(set)
    com = defaultdict(set)
    all_hits = []
    problems = []
    for rel in files:
        meta, segs, n_turns, labelled = parse_file(rel, manifest)
        for n, text in enumerate(segs, 1):
            hits, toks = code_segment(text, entries)
            # tokenising the folded text must give the same boundaries
            if icu_words(khmer_fold(text)) != [(a, b) for a, b, _, _ in toks]:
                problems.append("%s seg %d: ICU boundaries differ after Khmer folding" % (rel, n))
            if re.search("[\u17B6-\u17C5]\u17D2", text):
                problems.append("%s seg %d: dependent vowel before coeng" % (rel, n))
            for h in hits:
                if h["negated"] != h["negated_clause"]:
                    problems.append("%s seg %d: negation of %r depends on clause rule"
                                    % (rel, n, h["text"]))
                h.update(file=rel, seg=n, participant=meta["participant"],
                         group=meta["group"], year=meta["year"])
                all_hits.append(h)
                if not h["negated"]:
                    top = h["code"].split("/")[0]
                    key = (meta["participant"], rel, n)
                    for g in (meta["group"], "ALL"):
                        ind[(top, g)].add(meta["participant"])
                        com[(top, g)].add(key)
            if "--hits" in args:
                nm = near_misses(text, entries, hits)
                for code, entry in nm:
                    print("NEAR-MISS\t%s\t%d\t%s\t%s" % (rel, n, code, entry))
    if "--hits" in args:
        for h in all_hits:
            print("HIT\t%s\t%d\t%s\t%s\t%s\t%s%s" % (
                h["file"], h["seg"], h["group"], h["code"], h["entry"], h["text"],
                "\tNEGATED(prev: %s)" % " ".join(h["prev"]) if h["negated"] else ""))
    for p in problems:
        print("PROBLEM\t" + p)

    rows = []
    for top in depth1:
        for g in GROUPS + ["ALL"]:
            if com.get((top, g)):
                rows.append((top, g, len(ind[(top, g)]), len(com[(top, g)])))
    table = "code\tgroup\tindividuals\tcomments\n" + "".join(
        "%s\t%s\t%d\t%d\n" % r for r in rows)
    quotes = "file\tsegment\ttext\n" + "".join(
        "%s\t%d\t%s\n" % (h["file"], h["seg"], h["text"])
        for h in all_hits if h["code"] == "trust" and not h["negated"])
    if "--write" in args:
        open(os.path.join(HERE, "table-depth1-by-group.tsv"), "w", encoding="utf-8").write(table)
        open(os.path.join(HERE, "quotes-trust.tsv"), "w", encoding="utf-8").write(quotes)
    sys.stdout.write(table)
    sys.stdout.write(quotes)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
