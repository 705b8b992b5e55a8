#!/usr/bin/python3
"""gen_corpus.py: deterministic synthetic bilingual transcripts and lexicons
for the benchmarks, built from the real public text in ../shared/corpora.

The shared text is read in place; nothing from it is written into the
repository.  Output goes to a folder the caller names (bench/run uses
build-bench/bench-work/, which git ignores).

Transcripts follow the input contract (docs/architecture.md, README):

    ---
    participant: E0001
    year: 2012
    group: Female SP/RC
    gender: female
    age: 19
    setting: community
    ---
    I: <Khmer question> <English question>
    P: <Khmer turn>
    P: <English turn>
    ...

Two variants differ only in how the bytes split between the languages:
  en  English-heavy: about 80% of the participant bytes are English;
  km  Khmer-heavy:   about 80% of the participant bytes are Khmer.
The corpus is laid out as ROOT/YEAR/PID_YEAR.txt, six years 2011-2016,
participants E0001... (en) or K0001... (km), so both variants can be
indexed together under one parent folder.

Everything is a function of (sources, variant, size, seed): the same
arguments give byte-identical files, and a larger corpus begins with the
same documents as a smaller one.

Lexicons (written by write_lexicons):
  theme  ~400 English + ~400 Khmer words of middling frequency (ranks past
         the function words), ~60 two-word phrases and ~30 prefix entries,
         in 12 themes x 3 subcodes: a codebook-like workload.
  dense  theme plus the most common words of each language under
         common/en and common/km: enough hits for a query index of over
         a million hits on a moderate corpus.
Each lexicon is written as YAML (for pupa) and as TSV code<TAB>pattern
(for baseline.py and hs_scan), with the same entries in the same order.
"""
import argparse
import collections
import json
import os
import random
import re
import sys

YEARS = list(range(2011, 2017))
GROUPS = [("Female SP/RC", "female"), ("Female RC", "female"), ("Female CI", "female"),
          ("Male SP/RC", "male"), ("Male RC", "male"), ("Male CI", "male")]
SETTINGS = ["community", "shelter", "school", "workplace", "home"]
THEMES = ["trust", "family", "work", "health", "money", "education", "violence", "stigma",
          "wellbeing", "migration", "community", "religion"]
SUBCODES = ["positive", "negative", "neutral"]
THEME_RANKS = (300, 6000)

KHMER_RE = re.compile("[\u1780-\u17ff]")
TAG_RE = re.compile(r"<[^>]*>")
WS_RE = re.compile(r"[\t\r\n\f\v]+")


def _clean(s):
    s = TAG_RE.sub(" ", s)
    s = WS_RE.sub(" ", s)
    return s.strip()


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def load_pools(corpora):
    """English and Khmer paragraphs from the shared corpora, each pool a list
    of (source, [paragraphs]) in a fixed order."""
    def p(*parts):
        return os.path.join(corpora, *parts)

    en, km = [], []
    # interviews-en: the interviewees' own turns, the closest to study speech.
    iv = []
    d = p("interviews-en")
    for name in sorted(os.listdir(d)):
        for line in _read(os.path.join(d, name)).splitlines():
            if line.startswith("interviewee:"):
                t = _clean(line[len("interviewee:"):])
                if len(t) > 20:
                    iv.append(t)
    en.append(("interviews-en", iv))
    en.append(("ntrex-en", [t for t in map(_clean, _read(
        p("ntrex", "newstest2019-src.eng.txt")).splitlines()) if t]))
    km.append(("ntrex-km", [t for t in map(_clean, _read(
        p("ntrex", "newstest2019-ref.khm.txt")).splitlines()) if t]))
    news = []
    for line in _read(p("khmer-news", "news-1000.txt")).splitlines():
        t = _clean(line)
        if KHMER_RE.search(t):
            news.append(t)
    km.append(("khmer-news", news))
    lo_en, lo_km = [], []
    for line in _read(p("lo-help", "lo_help_en_km.tsv")).splitlines():
        cols = line.split("\t")
        if len(cols) != 4:
            continue
        e, k = _clean(cols[2]), _clean(cols[3])
        if len(e) > 30:
            lo_en.append(e)
        if len(k) > 30 and KHMER_RE.search(k):
            lo_km.append(k)
    en.append(("lo-help-en", lo_en))
    km.append(("lo-help-km", lo_km))
    prose = set()
    for line in _read(p("khpos", "prose_ids.txt")).split():
        prose.add(int(line))
    kp = [_clean(t) for i, t in enumerate(_read(p("khpos", "raw.txt")).splitlines(), 1)
          if i in prose]
    km.append(("khpos", [t for t in kp if t]))
    for lang, pool in (("eng", en), ("khm", km)):
        paras = [t for t in map(_clean, re.split(r"</p>|</li>|\n", _read(
            p("udhr", "udhr_%s.md" % lang)))) if t]
        pool.append(("udhr-" + lang, paras))
    return en, km


# Weights: how often each source is drawn from, in the order of load_pools.
EN_WEIGHTS = [6, 2, 1, 1]        # interviews, ntrex, lo-help, udhr
KM_WEIGHTS = [2, 4, 2, 2, 1]     # ntrex, news, lo-help, khpos, udhr


class Drawer:
    """Draws runs of consecutive paragraphs from weighted sources."""

    def __init__(self, pools, weights, rng):
        self.pools = [(n, ps) for n, ps in pools if ps]
        self.weights = [w for (n, ps), w in zip(pools, weights) if ps]
        self.rng = rng

    def text(self, nbytes):
        name, ps = self.rng.choices(self.pools, self.weights)[0]
        i = self.rng.randrange(len(ps))
        out, n = [], 0
        while n < nbytes:
            t = ps[i % len(ps)]
            out.append(t)
            n += len(t.encode("utf-8")) + 1
            i += 1
        s = " ".join(out)
        # A long paragraph is cut at a space (or ។) near the wanted size, so
        # turn lengths, and the language shares, follow the request.
        limit = int(nbytes * 1.3 / (3 if KHMER_RE.match(s) else 1)) + 1
        if len(s) > limit:
            cut = max(s.rfind(" ", 0, limit), s.rfind("។", 0, limit) + 1)
            if cut > limit // 3:
                s = s[:cut].rstrip()
        return s


def _len_factor(rng):
    return 0.3 + 1.7 * rng.random()


def generate(corpora, root, variant, mb, seed=1):
    """Writes about mb MB of transcripts under root; returns a summary."""
    en_pools, km_pools = load_pools(corpora)
    rng = random.Random("%s:%d" % (variant, seed))
    en = Drawer(en_pools, EN_WEIGHTS, rng)
    km = Drawer(km_pools, KM_WEIGHTS, rng)
    if variant == "en":
        km_turn, en_turn, prefix = 120, 720, "E"
    elif variant == "km":
        km_turn, en_turn, prefix = 640, 160, "K"
    else:
        raise ValueError("variant is en or km")
    target = int(mb * 1024 * 1024)
    total = docs = 0
    lang_bytes = {"en": 0, "km": 0}
    years = collections.Counter()
    year_bytes = collections.Counter()
    k = 0
    while total < target:
        pnum, yi = divmod(k, len(YEARS))
        k += 1
        prng = random.Random("%s:%d:p%d" % (variant, seed, pnum))
        group, gender = GROUPS[prng.randrange(len(GROUPS))]
        age0 = 13 + prng.randrange(12)
        year = YEARS[yi]
        pid = "%s%04d" % (prefix, pnum + 1)
        lines = ["---", "participant: " + pid, "year: %d" % year, "group: " + group,
                 "gender: " + gender, "age: %d" % (age0 + yi),
                 "setting: " + SETTINGS[rng.randrange(len(SETTINGS))], "---"]
        size = int(8000 + rng.random() * 52000)
        n = 0
        while n < size:
            q = "I: %s %s" % (km.text(40 + rng.randrange(80)), en.text(30 + rng.randrange(60)))
            a_km = km.text(int(km_turn * _len_factor(rng)))
            a_en = en.text(int(en_turn * _len_factor(rng)))
            lines += [q, "P: " + a_km, "P: " + a_en]
            lang_bytes["km"] += len(a_km.encode("utf-8"))
            lang_bytes["en"] += len(a_en.encode("utf-8"))
            n += len(q.encode("utf-8")) + len(a_km.encode("utf-8")) + len(a_en.encode("utf-8")) + 8
        body = ("\n".join(lines) + "\n").encode("utf-8")
        d = os.path.join(root, str(year))
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "%s_%d.txt" % (pid, year)), "wb") as f:
            f.write(body)
        total += len(body)
        docs += 1
        years[year] += 1
        year_bytes[year] += len(body)
    pb = lang_bytes["en"] + lang_bytes["km"]
    return {"root": root, "variant": variant, "bytes": total, "docs": docs,
            "participants": (k + len(YEARS) - 1) // len(YEARS),
            "participant_bytes_en_share": round(lang_bytes["en"] / pb, 3) if pb else 0,
            "docs_per_year": {str(y): years[y] for y in sorted(years)},
            "bytes_per_year": {str(y): year_bytes[y] for y in sorted(year_bytes)}}


# ------------------------------------------------------------- lexicons

def _khmer_words(text, limit_bytes):
    """ICU word-break tokens of Khmer text that hold Khmer letters."""
    import icu
    bi = icu.BreakIterator.createWordInstance(icu.Locale.getRoot())
    out = []
    for para in text:
        if limit_bytes <= 0:
            break
        limit_bytes -= len(para.encode("utf-8"))
        bi.setText(para)
        s = bi.first()
        for e in bi:
            if bi.getRuleStatus() >= 100:
                w = para[s:e]
                if KHMER_RE.match(w):
                    out.append(w)
            s = e
    return out


EN_WORD_RE = re.compile(r"[a-z]+(?:'[a-z]+)?")


def _ranked(counter, min_len):
    return [w for w, _ in sorted(counter.items(), key=lambda x: (-x[1], x[0]))
            if len(w) >= min_len]


def build_lexicons(corpora):
    en_pools, km_pools = load_pools(corpora)
    en_text = [t.lower() for _, ps in en_pools for t in ps]
    en_words = collections.Counter()
    en_bigrams = collections.Counter()
    for t in en_text:
        ws = EN_WORD_RE.findall(t)
        en_words.update(ws)
        en_bigrams.update(zip(ws, ws[1:]))
    km_text = []
    for _, ps in km_pools:
        km_text += ps[:4000]  # a sample of every source, in order
    km_toks = _khmer_words(km_text, 3_000_000)
    km_words = collections.Counter(km_toks)
    km_bigrams = collections.Counter(zip(km_toks, km_toks[1:]))

    en_rank = _ranked(en_words, 3)
    km_rank = _ranked(km_words, 2)

    def pick(ranked, lo, hi, n):
        """n words spread evenly over frequency ranks [lo, hi)."""
        hi = min(hi, len(ranked))
        return [ranked[lo + (hi - lo) * i // n] for i in range(n)]

    # Content words of middling frequency, as a codebook holds: past the
    # function words, short of the rare ones.
    theme_en = pick(en_rank, THEME_RANKS[0], THEME_RANKS[1], 400)
    theme_km = pick(km_rank, THEME_RANKS[0], THEME_RANKS[1], 400)
    used = set(theme_en) | set(theme_km)
    stop_en = set(en_rank[:150])
    phrases_en = [" ".join(b) for b, _ in sorted(en_bigrams.items(), key=lambda x: (-x[1], x[0]))
                  if b[0] not in stop_en and b[1] not in stop_en and len(b[0]) > 2
                  and len(b[1]) > 2][:30]
    stop_km = set(km_rank[:150])
    phrases_km = [" ".join(b) for b, _ in sorted(km_bigrams.items(), key=lambda x: (-x[1], x[0]))
                  if b[0] not in stop_km and b[1] not in stop_km][:30]
    prefixes = []
    for w in theme_en:
        if len(w) >= 8 and w[:6] + "*" not in prefixes and len(prefixes) < 30:
            prefixes.append(w[:6] + "*")
    # Prefix entries replace the words they cover, so no word is under two codes twice.
    theme_en = [w for w in theme_en if not any(w.startswith(p[:-1]) for p in prefixes)]
    entries = theme_en + theme_km + phrases_en + phrases_km + prefixes
    seen, theme = set(), []
    for e in entries:
        if e not in seen:
            seen.add(e)
            theme.append(e)
    codes = ["%s/%s" % (t, s) for t in THEMES for s in SUBCODES]
    theme_lex = [(codes[i % len(codes)], e) for i, e in enumerate(theme)]
    common = [("common/en", w) for w in en_rank[:60] if w not in used and w not in seen] + \
             [("common/km", w) for w in km_rank[:60] if w not in used and w not in seen]
    return {"theme": theme_lex, "dense": theme_lex + common}


def _yaml_str(s):
    return json.dumps(s, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def write_lexicon(entries, yml_path, tsv_path):
    tree = collections.OrderedDict()
    for code, pat in entries:
        tree.setdefault(code, []).append(pat)
    # Nested YAML: parents before children, two levels here.
    by_top = collections.OrderedDict()
    for code, pats in tree.items():
        top, sub = code.split("/", 1)
        by_top.setdefault(top, []).append((sub, pats))
    with open(yml_path, "w", encoding="utf-8") as f:
        f.write("# generated by bench/gen_corpus.py from ../shared/corpora word frequencies\n")
        for top, subs in by_top.items():
            f.write("%s:\n" % top)
            for sub, pats in subs:
                f.write("  %s:\n" % sub)
                for p in pats:
                    f.write("    - %s\n" % _yaml_str(p))
    with open(tsv_path, "w", encoding="utf-8") as f:
        for code, pat in entries:
            f.write("%s\t%s\n" % (code, pat))


def write_lexicons(corpora, outdir):
    os.makedirs(outdir, exist_ok=True)
    lex = build_lexicons(corpora)
    info = {}
    for name, entries in lex.items():
        write_lexicon(entries, os.path.join(outdir, name + ".yml"),
                      os.path.join(outdir, name + ".tsv"))
        info[name] = {"entries": len(entries),
                      "khmer": sum(1 for _, p in entries if KHMER_RE.search(p)),
                      "phrases": sum(1 for _, p in entries if " " in p),
                      "prefix": sum(1 for _, p in entries if p.endswith("*"))}
    return info


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpora", required=True)
    ap.add_argument("--out", required=True, help="corpus root (or lexicon folder with --lexicons)")
    ap.add_argument("--variant", choices=["en", "km"], default="en")
    ap.add_argument("--mb", type=float, default=8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lexicons", action="store_true", help="write the lexicons instead")
    a = ap.parse_args()
    if a.lexicons:
        print(json.dumps(write_lexicons(a.corpora, a.out)))
    else:
        print(json.dumps(generate(a.corpora, a.out, a.variant, a.mb, a.seed)))


if __name__ == "__main__":
    sys.exit(main())
