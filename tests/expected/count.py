#!/usr/bin/env python3
"""Independent reference count for corpora-sample/ against lexicons/butterfly.yml.

Written separately from the C engine, to produce the hand-checked expected
values in tests/expected/. It follows the matching rules of contracts.md
section 3 and docs/lexicon.md, spelled out in tests/expected/sample-counts.md:

  * segments: participant turns (P/R/Participant/Respondent/Interviewee);
    interviewer turns are not coded; a file without speaker labels codes
    each blank-line-separated paragraph; continuation lines join the turn;
  * tokens: ICU word break (system libicuuc through ctypes, word-like
    segments only), NFKC case fold (ICU), then Khmer folding
    (coeng-da -> coeng-ta, U+17B1 QOO TYPE ONE + coeng-yo -> U+17B2 ...);
  * the normalised stream: folded tokens joined by "" (Khmer-Khmer, only
    white space between), " " (only white space) or "\n" (anything else);
    an entry, tokenised the same way, hits where its text occurs in the
    stream starting at a token start and ending at a token end (a `word*`
    entry: extended to the end of the token it ends in);
  * overlaps: within one code, longest leftmost;
  * negation: a cue among the window (3) of tokens before the hit's first
    token, stopping at punctuation and at the codebook's stop words; the
    built-in English cues and Khmer prefixes plus the codebook's cues, minus
    its not-cues;
  * the rule layer: hidden codes (a path component starting with "."),
    .exclude, .rule (AND, AND NOT, OR, NEAR/n, BEFORE/n, NOT NEAR/n, NOT
    BEFORE/n; proximity in tokens, never across . ! ? U+17D4 U+17D5) and
    .negated_as, evaluated in dependency order.

It shares no code with the engine: string search over the stream stands in
for Hyperscan, and the rules are evaluated on Python lists.

Usage:  python3 tests/expected/count.py [--write] [--hits]
  --hits   print every counted and negated hit for review
  --markdown  print the "Every hit, by code" section of sample-counts.md
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
# The engine's built-in cues (match.c, docs/architecture.md).
EN_CUES = {"not", "no", "never", "don't", "dont", "cannot", "can't", "won't", "didn't",
           "doesn't", "isn't", "wasn't", "aren't", "weren't", "haven't", "hasn't", "hadn't",
           "couldn't", "wouldn't", "shouldn't", "nobody", "nothing", "neither", "nor",
           "without"}
KM_CUES = ("មិន", "អត់", "គ្មាន", "ពុំ")
SENTENCE_END = set(".!?\u17d4\u17d5")


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


# ---------------------------------------------------------------- streams
ZW = set("\u200b\u200c\u200d\u2060\ufeff")


def only_space(s):
    return all(c.isspace() or c in ZW for c in s)


def is_khmer_char(c):
    return "\u1780" <= c <= "\u17FF" or "\u19E0" <= c <= "\u19FF"


def is_khmer(s):
    return any(is_khmer_char(c) for c in s)


def first_letter_khmer(s):
    for c in s:
        if c.isalpha() or is_khmer_char(c):
            return is_khmer_char(c)
    return False


class Stream:
    """The normalised token stream of a text: norm, and per token its
    source span and its span in norm."""

    def __init__(self, text):
        self.text = text
        self.toks = []  # (src_start, src_end, norm_start, norm_end)
        parts = []
        n = 0
        prev = None
        for a, b in icu_words(text):
            t = norm(text[a:b])
            if not t:
                continue
            if prev is not None:
                gap = text[prev[1]:a]
                if only_space(gap):
                    sep = "" if prev[2] and first_letter_khmer(t) else " "
                else:
                    sep = "\n"
                parts.append(sep)
                n += len(sep)
            self.toks.append((a, b, n, n + len(t)))
            parts.append(t)
            n += len(t)
            prev = (a, b, first_letter_khmer(t))
        self.norm = "".join(parts)
        self.start_of = {ns: i for i, (_, _, ns, _) in enumerate(self.toks)}
        self.tok_at = {}
        for i, (_, _, ns, ne) in enumerate(self.toks):
            for k in range(ns, ne):
                self.tok_at[k] = i


# ---------------------------------------------------------------- lexicon
RESERVED = {".rule", ".exclude", ".negated_as", ".negation"}


def hidden(path):
    return any(part.startswith(".") for part in path.split("/"))


class Lexicon:
    def __init__(self, path):
        data = yaml.safe_load(open(path, encoding="utf-8"))
        self.codes = []        # code paths, in order of first use
        self.entries = []      # (code, pattern, norm, prefix)
        self.rules = []        # (code, expression)
        self.exclusions = []   # (code path, exclusion list path)
        self.negated_as = []   # (code path, target as written)
        self.window, self.cues, self.not_cues, self.stops = 3, [], [], []
        self.top = [k for k in data if not k.startswith(".")]
        self.walk(data, "")

    def code(self, path):
        if path not in self.codes:
            self.codes.append(path)
        return path

    def entry_norm(self, text):
        return Stream(text).norm

    def add_entry(self, path, pattern):
        pattern = str(pattern).strip()
        prefix = pattern.endswith("*")
        self.entries.append((self.code(path), pattern,
                             self.entry_norm(pattern[:-1] if prefix else pattern), prefix))

    def walk(self, node, path):
        if isinstance(node, dict):
            for k, v in node.items():
                k = str(k)
                if k in RESERVED:
                    self.reserved(k, v, path)
                else:
                    self.walk(v, path + "/" + k if path else k)
        elif isinstance(node, list):
            for item in node:
                if isinstance(item, (dict, list)):
                    self.walk(item, path)
                else:
                    self.add_entry(path, item)
        else:
            self.add_entry(path, node)

    def reserved(self, key, v, path):
        items = v if isinstance(v, list) else [v]
        if key == ".rule":
            for expr in items:
                self.rules.append((self.code(path), str(expr)))
        elif key == ".exclude":
            for phrase in items:
                self.add_entry(path + "/.exclude", phrase)
            self.exclusions.append((path, path + "/.exclude"))
        elif key == ".negated_as":
            self.negated_as.append((path, str(v)))
        else:
            self.window = int(v.get("window", 3))
            self.cues = [self.entry_norm(str(c)) for c in v.get("cues", [])]
            self.not_cues = [self.entry_norm(str(c)) for c in v.get("not_cues", [])]
            self.stops = [self.entry_norm(str(c)) for c in v.get("stops", [])]


def under(code, path):
    return code == path or code.startswith(path + "/")


# ---------------------------------------------------------------- matching
def find_hits(lex, st):
    """Every entry's hits in a stream: dicts with code, entry, token span."""
    hits = []
    for code, pattern, en, prefix in lex.entries:
        at = st.norm.find(en)
        while at >= 0:
            end = at + len(en)
            first = st.start_of.get(at)
            last = st.tok_at.get(end - 1)
            if first is not None and last is not None and (prefix or st.toks[last][3] == end):
                hits.append(dict(code=code, entry=pattern, first=first, last=last,
                                 start=st.toks[first][0], end=st.toks[last][1]))
            at = st.norm.find(en, at + 1)
    return resolve(hits)


def resolve(hits):
    """Longest leftmost within each code."""
    out = []
    for code in {h["code"] for h in hits}:
        mine = sorted((h for h in hits if h["code"] == code),
                      key=lambda h: (h["start"], -h["end"], h["entry"]))
        last_end = -1
        for h in mine:
            if h["start"] >= last_end:
                out.append(h)
                last_end = h["end"]
    return sorted(out, key=lambda h: (h["start"], h["end"], h["code"]))


def at_token(st, t, cue, whole):
    ns = st.toks[t][2]
    if not st.norm.startswith(cue, ns):
        return False
    if is_khmer(cue) and not whole:
        return True
    return any(ne == ns + len(cue) for _, _, _, ne in st.toks[t:])


def is_cue(lex, st, t):
    if any(at_token(st, t, nc, False) for nc in lex.not_cues):
        return False
    tok = st.norm[st.toks[t][2]:st.toks[t][3]]
    if tok in EN_CUES or tok.startswith(KM_CUES):
        return True
    return any(at_token(st, t, c, False) for c in lex.cues)


def negated(lex, st, first):
    t = first
    for _ in range(lex.window):
        if t == 0:
            return False
        gap = st.norm[st.toks[t - 1][3]:st.toks[t][2]]
        if gap == "\n" or any(at_token(st, t - 1, s, True) for s in lex.stops):
            return False
        t -= 1
        if is_cue(lex, st, t):
            return True
    return False


def tokenize_rule(expr):
    return re.findall(r'\(|\)|"[^"]*"|[^\s()"]+', expr)


def parse_rule(expr):
    toks = tokenize_rule(expr)
    pos = [0]

    def peek():
        return toks[pos[0]] if pos[0] < len(toks) else None

    def take():
        pos[0] += 1
        return toks[pos[0] - 1]

    def atom():
        t = take()
        if t == "(":
            n = p_or()
            assert take() == ")", expr
            return n
        return ("ref", t.strip('"'))

    def prox():
        a = atom()
        while True:
            t, neg = peek(), False
            if t == "NOT" and pos[0] + 1 < len(toks) and re.match(r"(NEAR|BEFORE)/\d+$", toks[pos[0] + 1]):
                take()
                t, neg = peek(), True
            m = re.match(r"(NEAR|BEFORE)/(\d+)$", t or "")
            if not m:
                return a
            take()
            a = (("not_" if neg else "") + m.group(1).lower(), int(m.group(2)), a, atom())

    def p_and():
        a = prox()
        while peek() == "AND":
            take()
            op = "and"
            if peek() == "NOT":
                take()
                op = "andnot"
            a = (op, 0, a, prox())
        return a

    def p_or():
        a = p_and()
        while peek() == "OR":
            take()
            a = ("or", 0, a, p_and())
        return a

    tree = p_or()
    assert pos[0] == len(toks), "trailing tokens in rule: " + expr
    return tree


def refs_of(tree):
    if tree[0] == "ref":
        return {tree[1]}
    return refs_of(tree[2]) | refs_of(tree[3])


def crosses_sentence(text, a, b):
    x, y = (a, b) if a["start"] <= b["start"] else (b, a)
    return y["start"] > x["end"] and any(c in SENTENCE_END for c in text[x["end"]:y["start"]])


def distance(a, b, ordered):
    if b["first"] > a["last"]:
        return b["first"] - a["last"]
    if ordered:
        return -1
    if a["first"] > b["last"]:
        return a["first"] - b["last"]
    return 0


def evaluate(tree, pool, text, lex):
    op = tree[0]
    if op == "ref":
        return [dict(h) for h in pool if h["code"] in lex.ref_codes[tree[1]]]
    a = evaluate(tree[2], pool, text, lex)
    b = evaluate(tree[3], pool, text, lex)
    if op == "or":
        return a + b
    present = any(not h["negated"] for h in b)
    if op == "and":
        return a if present else []
    if op == "andnot":
        return [] if present else a
    ordered = op.endswith("before")

    def close(x, y):
        d = distance(x, y, ordered)
        return 0 <= d <= tree[1] and not crosses_sentence(text, x, y)

    if op.startswith("not_"):
        return [x for x in a if not any(close(x, y) and not y["negated"] for y in b)]
    out = []
    for x in a:
        for y in b:
            if close(x, y):
                out.append(dict(x, start=min(x["start"], y["start"]), end=max(x["end"], y["end"]),
                                first=min(x["first"], y["first"]), last=max(x["last"], y["last"]),
                                negated=x["negated"] or y["negated"]))
    return out


def prepare_rules(lex):
    """Resolves references and orders the steps (rules and negated_as)."""
    excl_lists = {e for _, e in lex.exclusions}
    lex.ref_codes = {}
    steps = []
    for code, expr in lex.rules:
        tree = parse_rule(expr)
        reads = set()
        for r in refs_of(tree):
            lex.ref_codes[r] = {c for c in lex.codes if under(c, r) and c not in excl_lists}
            assert lex.ref_codes[r], "unknown code in rule: " + r
            reads |= lex.ref_codes[r]
        steps.append(("rule", code, tree, reads, expr))
    for src, target in lex.negated_as:
        if "/" not in target and "/" in src:
            target = src.rsplit("/", 1)[0] + "/" + target
        steps.append(("negated_as", target, src, {src}, None))
    order, done = [], set()
    while len(order) < len(steps):
        progress = False
        for i, s in enumerate(steps):
            if i in done:
                continue
            if not any(j not in done and steps[j][1] in s[3] for j in range(len(steps))):
                order.append(s)
                done.add(i)
                progress = True
        assert progress, "a cycle of rules"
    lex.steps = order
    lex.excl_of = {}
    for c in lex.codes:
        if c not in excl_lists:
            lex.excl_of[c] = [e for p, e in lex.exclusions if under(c, p)]


def code_segment(lex, text):
    st = Stream(text)
    pool = find_hits(lex, st)
    for h in pool:
        h["negated"] = negated(lex, st, h["first"])

    def excluded(h, pool):
        return any(x["code"] in lex.excl_of.get(h["code"], []) and
                   x["start"] < h["end"] and h["start"] < x["end"] for x in pool)

    pool = [h for h in pool if not excluded(h, pool)]
    for kind, code, what, reads, expr in lex.steps:
        if kind == "rule":
            new = [dict(h, code=code, entry=expr) for h in evaluate(what, pool, text, lex)]
        else:
            new = [dict(h, code=code, negated=False) for h in pool
                   if h["code"] == what and h["negated"]]
        pool += [h for h in new if not excluded(h, pool)]
    hits = resolve([h for h in pool if not hidden(h["code"])])
    for h in hits:
        h["text"] = text[h["start"]:h["end"]]
        # the ICU split of a Khmer hit, for the reader to check boundaries
        h["split"] = " | ".join(text[a:b] for a, b, _, _ in st.toks[h["first"]:h["last"] + 1])
    return hits


# ---------------------------------------------------------------- markdown
def print_markdown(lex, all_hits):
    codes = [c for c in lex.codes if not hidden(c)]
    for code in codes:
        mine = [h for h in all_hits if h["code"] == code]
        if not mine:
            continue
        counted = [h for h in mine if not h["negated"]]
        segs = {(h["file"], h["seg"]) for h in counted}
        neg = len(mine) - len(counted)
        print("#### `%s` (%d counted hits, %d segments%s)\n" % (
            code, len(counted), len(segs), ", %d negated" % neg if neg else ""))
        for h in mine:
            km = is_khmer(h["text"])
            print("- %s seg %d (%s): `%s`%s%s" % (
                h["file"], h["seg"], h["group"], h["text"].replace("\n", " "),
                " [%s]" % h["split"] if km and " | " in h["split"] else "",
                " NEGATED" if h["negated"] else ""))
        print()


# ---------------------------------------------------------------- main
def main():
    args = set(sys.argv[1:])
    lex = Lexicon(LEXICON)
    prepare_rules(lex)
    manifest = read_manifest()
    files = sorted(os.path.relpath(os.path.join(d, f), CORPUS)
                   for d, _, fs in os.walk(CORPUS) for f in fs if f.endswith(".txt"))
    ind = defaultdict(set)
    com = defaultdict(set)
    all_hits = []
    problems = []
    for rel in files:
        meta, segs, n_turns, labelled = parse_file(rel, manifest)
        for n, text in enumerate(segs, 1):
            hits = code_segment(lex, text)
            # tokenising the folded text must give the same boundaries
            if icu_words(khmer_fold(text)) != icu_words(text):
                problems.append("%s seg %d: ICU boundaries differ after Khmer folding" % (rel, n))
            if re.search("[\u17B6-\u17C5]\u17D2", text):
                problems.append("%s seg %d: dependent vowel before coeng" % (rel, n))
            for h in hits:
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
        for h in all_hits:
            print("HIT\t%s\t%d\t%s\t%s\t%s\t%s%s" % (
                h["file"], h["seg"], h["group"], h["code"], h["entry"], h["text"],
                "\tNEGATED" if h["negated"] else ""))
    for p in problems:
        print("PROBLEM\t" + p)
    if "--markdown" in args:
        print_markdown(lex, all_hits)
        return 1 if problems else 0

    rows = []
    for top in lex.top:
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
