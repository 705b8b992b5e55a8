#!/usr/bin/python3
"""baseline.py: the Python baseline of the benchmarks: a careful PyICU +
pyahocorasick + LMDB pipeline doing pupa's job, so that pupa's speed has a
peer to be measured against.  Run with the Debian packages python3-icu,
python3-ahocorasick and python3-lmdb under /usr/bin/python3.

    baseline.py [--mode confirm|tokenise] CORPUS LEXICON.tsv OUT_LMDB_DIR

The job, as pupa index does it:
  - read every transcript (*.txt) under CORPUS in path order: the ---
    header, then turns labelled P:/R:/Participant:... (coded) and I:/Q:/
    Interviewer: (context); a line without a label continues the turn;
  - ICU word break (root locale) over each participant turn; keep the
    word-like tokens (rule status >= UBRK_WORD_NONE_LIMIT), fold each with
    NFKC_Casefold and the Khmer variant folds (coeng-da -> coeng-ta,
    QOO TYPE TWO -> ONE), join them into one normalised string (no separator
    between Khmer tokens with only white space between, a space between
    other such tokens, a newline across punctuation);
  - one Aho-Corasick automaton over every lexicon entry's normalised form;
    a candidate is a hit when it starts and ends on token boundaries (a
    prefix entry, "word*", is extended to the end of its token);
  - --mode tokenise (pupa's --tokenise all): ICU tokenises every participant
    turn and the automaton scans the normalised string;
    --mode confirm (the default, pupa's default idea in Python): the
    automaton scans the lower-cased raw turn first (each entry also under
    its raw spellings: ' or U+2019, and nothing, a space or U+200B between
    Khmer tokens), and ICU runs only over the white-space-delimited stretch
    around each candidate, three chunks further back for the negation cues,
    to confirm its boundaries.  A turn whose lower-casing changes its length
    is tokenised in full.
  - longest-leftmost per code, negation cues within 3 tokens before;
  - write documents, turns with their hits, and postings to LMDB, one write
    transaction per 256 files.
Careful, not naive: one break iterator reused, folds cached per distinct
token, entries bucketed in one automaton, binary packing.  It leaves out
pupa's Khmer cluster reordering, its incremental bookkeeping and its seal.

Prints one JSON line: files, docs, segments, hits, bytes, seconds.
"""
import bisect
import json
import os
import re
import struct
import sys
import time

import ahocorasick
import icu
import lmdb

PARTICIPANT = {"p", "r", "participant", "respondent", "interviewee"}
INTERVIEWER = {"i", "q", "interviewer"}
LABEL_RE = re.compile(r"^([A-Za-z]+):\s?(.*)$")
KHMER_RE = re.compile("[\u1780-\u17ff]")
LATIN_RE = re.compile("[A-Za-z]")
SPACE_CHARS = " \t\n\r\x0b\x0c\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007" \
              "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\u200b\u200c\u200d\u2060\ufeff"
EN_CUES = {"not", "no", "never", "don't", "dont", "cannot", "can't", "won't", "didn't",
           "doesn't", "isn't", "wasn't", "aren't", "weren't", "haven't", "hasn't", "hadn't",
           "couldn't", "wouldn't", "shouldn't", "nobody", "nothing", "neither", "nor",
           "without"}
KM_CUES = ("មិន", "អត់", "គ្មាន", "ពុំ")
BATCH_FILES = 256


class Coder:
    def __init__(self, lexicon_tsv):
        self.bi = icu.BreakIterator.createWordInstance(icu.Locale.getRoot())
        self.nfkc_cf = icu.Normalizer2.getNFKCCasefoldInstance()
        self.fold_cache = {}
        self.codes, self.entries = [], []
        code_id = {}
        auto = ahocorasick.Automaton()
        with open(lexicon_tsv, encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if not line:
                    continue
                code, pat = line.split("\t", 1)
                if code not in code_id:
                    code_id[code] = len(self.codes)
                    self.codes.append(code)
                prefix = pat.endswith("*")
                norm = self.normalize(pat[:-1] if prefix else pat)[0]
                eid = len(self.entries)
                self.entries.append((code_id[code], prefix, norm))
                if not norm:
                    continue
                # One automaton key per distinct norm; several entries may share it.
                if norm in auto:
                    auto.get(norm).append(eid)
                else:
                    auto.add_word(norm, [eid])
        auto.make_automaton()
        self.auto = auto
        # The confirm mode's automaton: raw spellings of each entry.
        raw = ahocorasick.Automaton()
        for eid, (code, prefix, norm) in enumerate(self.entries):
            for key in self.raw_keys(norm):
                if key in raw:
                    raw.get(key).append((eid, len(key)))
                else:
                    raw.add_word(key, [(eid, len(key))])
        raw.make_automaton()
        self.raw_auto = raw

    def raw_keys(self, norm):
        """Lower-cased raw spellings of a normalised entry."""
        if not norm:
            return []
        _, toks = self.normalize(norm)
        variants = [""]
        for i, t in enumerate(toks):
            word = norm[t[2]:t[3]]
            words = {word, word.replace("'", "\u2019")}
            if i == 0:
                variants = [w for w in words]
                continue
            gap = norm[toks[i - 1][3]:t[2]]
            seps = ["", " ", "\u200b"] if gap == "" else [gap]
            variants = [v + sp + w for v in variants for sp in seps for w in words]
        return sorted(set(variants))

    def fold(self, tok):
        f = self.fold_cache.get(tok)
        if f is None:
            f = self.nfkc_cf.normalize(tok)
            if KHMER_RE.search(f):
                f = f.replace("\u17d2\u178a", "\u17d2\u178f").replace("\u17b2", "\u17b1")
            f = f.replace("\u2019", "'")
            self.fold_cache[tok] = f
        return f

    def normalize(self, text):
        """Returns (norm, tokens): tokens are (src_start, src_end, norm_start,
        norm_end, khmer) with src offsets in code points of text."""
        bi = self.bi
        bi.setText(text)
        # ICU counts UTF-16 units: map them to code points if any character
        # lies outside the BMP (never in these corpora, but be careful).
        astral = text and max(text) > "\uffff"
        if astral:
            u16 = []
            for i, ch in enumerate(text):
                u16.append(i)
                if ch > "\uffff":
                    u16.append(i)
            u16.append(len(text))
        parts, toks = [], []
        n = 0
        gap_from = 0
        prev_khmer = False
        start = bi.first()
        for end in bi:
            if bi.getRuleStatus() < 100:
                start = end
                continue
            s, e = (u16[start], u16[end]) if astral else (start, end)
            start = end
            f = self.fold(text[s:e])
            if not f:
                continue
            khmer = KHMER_RE.match(text, s) is not None
            if toks:
                gap = text[gap_from:s]
                if gap.strip(SPACE_CHARS):
                    sep = "\n"
                elif khmer and prev_khmer:
                    sep = ""
                else:
                    sep = " "
                if sep:
                    parts.append(sep)
                    n += 1
            parts.append(f)
            toks.append((s, e, n, n + len(f), khmer))
            n += len(f)
            gap_from = e
            prev_khmer = khmer
        return "".join(parts), toks

    def match(self, text):
        norm, toks = self.normalize(text)
        if not toks:
            return []
        starts = {t[2]: i for i, t in enumerate(toks)}
        ends = {t[3]: i for i, t in enumerate(toks)}
        nstarts = [t[2] for t in toks]
        entries = self.entries
        hits = []
        for end, eids in self.auto.iter(norm):
            for eid in eids:
                code, prefix, enorm = entries[eid]
                first = starts.get(end + 1 - len(enorm))
                if first is None:
                    continue
                last = ends.get(end + 1)
                if last is None:
                    if not prefix:
                        continue
                    last = bisect.bisect_right(nstarts, end) - 1
                    if last < first or toks[last][3] <= end:
                        continue
                hits.append((code, toks[first][0], toks[last][1], eid, first, last))
        # Longest leftmost within a code.
        hits.sort(key=lambda h: (h[0], h[1], -h[2], h[3]))
        kept = []
        for h in hits:
            if kept and kept[-1][0] == h[0] and h[1] < kept[-1][2]:
                continue
            kept.append(h)
        kept.sort(key=lambda h: (h[1], h[2], h[0], h[3]))
        out = []
        for code, s, e, eid, first, last in kept:
            neg = False
            t = first
            for _ in range(3):
                if t == 0:
                    break
                if norm[toks[t - 1][3]:toks[t][2]] == "\n":
                    break
                t -= 1
                w = norm[toks[t][2]:toks[t][3]]
                if w in EN_CUES or w.startswith(KM_CUES):
                    neg = True
                    break
            out.append((code, eid, s, e, neg))
        return out


WS_CHARS = " \t\n\r\x0b\x0c"


def match_confirm(coder, text):
    low = text.lower()
    if len(low) != len(text):
        return coder.match(text)
    if "\u17d2\u178a" in low or "\u17b2" in low:
        low = low.replace("\u17d2\u178a", "\u17d2\u178f").replace("\u17b2", "\u17b1")
    cands = []
    for end, items in coder.raw_auto.iter(low):
        for eid, klen in items:
            cands.append((end + 1 - klen, end + 1, eid))
    if not cands:
        return []
    # Stretch of each candidate: its chunks (runs without ASCII white space),
    # and three chunks before, found with C-speed searches.
    n = len(text)

    def chunk_start(i):
        return max(text.rfind(" ", 0, i), text.rfind("\n", 0, i), text.rfind("\t", 0, i)) + 1

    def chunk_end(i):
        ends = [x for x in (text.find(" ", i), text.find("\n", i), text.find("\t", i)) if x >= 0]
        return min(ends) if ends else n

    spans = []
    for s, e, eid in cands:
        a = chunk_start(s)
        for _ in range(3):
            while a > 0 and text[a - 1] in WS_CHARS:
                a -= 1
            if a == 0:
                break
            a = chunk_start(a)
        spans.append((a, chunk_end(e), s, e, eid))
    spans.sort()
    entries = coder.entries
    hits = set()
    k = 0
    while k < len(spans):
        a, b = spans[k][0], spans[k][1]
        m = k + 1
        while m < len(spans) and spans[m][0] < b:
            b = max(b, spans[m][1])
            m += 1
        norm, toks = coder.normalize(text[a:b])
        tstart = {t[0] + a: i for i, t in enumerate(toks)}
        tend = {t[1] + a: i for i, t in enumerate(toks)}
        srcstarts = [t[0] + a for t in toks]
        for _, _, s, e, eid in spans[k:m]:
            code, prefix, enorm = entries[eid]
            first = tstart.get(s)
            if first is None:
                continue
            last = tend.get(e)
            if last is None:
                if not prefix:
                    continue
                last = bisect.bisect_right(srcstarts, e - 1) - 1
                if last < first or toks[last][1] + a < e:
                    continue
            neg = False
            t = first
            for _ in range(3):
                if t == 0:
                    break
                if norm[toks[t - 1][3]:toks[t][2]] == "\n":
                    break
                t -= 1
                w = norm[toks[t][2]:toks[t][3]]
                if w in EN_CUES or w.startswith(KM_CUES):
                    neg = True
                    break
            hits.add((code, toks[first][0] + a, toks[last][1] + a, eid, neg))
        k = m
    hs = sorted(hits, key=lambda h: (h[0], h[1], -h[2], h[3]))
    kept = []
    for h in hs:
        if kept and kept[-1][0] == h[0] and h[1] < kept[-1][2]:
            continue
        kept.append(h)
    kept.sort(key=lambda h: (h[1], h[2], h[0], h[3]))
    return [(c, eid, s, e, neg) for c, s, e, eid, neg in kept]


def read_transcript(path):
    with open(path, "rb") as f:
        raw = f.read()
    text = raw.decode("utf-8")  # invalid UTF-8 fails the file, as in pupa
    lines = text.split("\n")
    meta = {}
    i = 0
    if lines and lines[0].strip() == "---":
        i = 1
        while i < len(lines) and lines[i].strip() != "---":
            k, _, v = lines[i].partition(":")
            meta[k.strip()] = v.strip()
            i += 1
        i += 1
    turns = []  # (role, speaker, text)
    for line in lines[i:]:
        m = LABEL_RE.match(line)
        lab = m.group(1).lower() if m else None
        if lab in PARTICIPANT or lab in INTERVIEWER:
            turns.append([0 if lab in PARTICIPANT else 1, m.group(1), m.group(2).strip()])
        elif turns and line.strip():
            turns[-1][2] += "\n" + line.strip()
    return meta, turns


def lang_of(text):
    k = KHMER_RE.search(text) is not None
    l = LATIN_RE.search(text) is not None
    return 2 if (k and l) else 1 if k else 0


def pack_str(s):
    b = s.encode("utf-8")
    return struct.pack(">I", len(b)) + b


def main():
    args = sys.argv[1:]
    mode = "confirm"
    if len(args) >= 2 and args[0] == "--mode":
        mode = args[1]
        args = args[2:]
    if len(args) != 3 or mode not in ("confirm", "tokenise"):
        sys.stderr.write(__doc__)
        return 2
    corpus, lexicon, out = args
    t0 = time.time()
    coder = Coder(lexicon)
    paths = []
    for d, dirs, files in os.walk(corpus):
        dirs.sort()
        for f in files:
            if f.endswith(".txt"):
                paths.append(os.path.relpath(os.path.join(d, f), corpus))
    paths.sort(key=lambda p: p.encode("utf-8"))
    os.makedirs(out, mode=0o700, exist_ok=True)
    env = lmdb.open(out, map_size=1 << 38, max_dbs=4, mode=0o600)
    docs_db = env.open_db(b"docs")
    segs_db = env.open_db(b"segs")
    post_db = env.open_db(b"postings")
    files_db = env.open_db(b"files")
    nbytes = ndocs = nsegs = nhits = 0
    doc_id = 0
    for b in range(0, len(paths), BATCH_FILES):
        with env.begin(write=True) as txn:
            for rel in paths[b:b + BATCH_FILES]:
                full = os.path.join(corpus, rel)
                nbytes += os.path.getsize(full)
                meta, turns = read_transcript(full)
                year = int(meta.get("year", "0"))
                key = struct.pack(">I", doc_id)
                val = struct.pack(">I", year) + pack_str(rel) + \
                    pack_str(meta.get("participant", "")) + struct.pack(">I", len(turns))
                val += struct.pack(">I", len(meta)) + b"".join(
                    pack_str(k) + pack_str(v) for k, v in meta.items())
                txn.put(key, val, db=docs_db)
                txn.put(rel.encode("utf-8"), struct.pack(">II", doc_id, 1), db=files_db)
                seg_no = 0
                for turn, (role, speaker, text) in enumerate(turns):
                    hits = []
                    if role == 0:
                        seg_no += 1
                        nsegs += 1
                        hits = coder.match(text) if mode == "tokenise" else \
                            match_confirm(coder, text)
                        nhits += len(hits)
                    v = struct.pack(">IBB", seg_no if role == 0 else 0, role, lang_of(text)) + \
                        pack_str(speaker) + pack_str(text) + struct.pack(">I", len(hits)) + \
                        b"".join(struct.pack(">IIIIB", c, e, s, en, ng) for c, e, s, en, ng in hits)
                    txn.put(key + struct.pack(">I", turn), v, db=segs_db)
                    per_code = {}
                    for c, _, _, _, ng in hits:
                        cn = per_code.setdefault(c, [0, 0])
                        cn[1 if ng else 0] += 1
                    for c, (cnt, neg) in per_code.items():
                        txn.put(struct.pack(">IHII", c, year & 0xFFFF, doc_id, turn),
                                struct.pack(">II", cnt, neg), db=post_db)
                doc_id += 1
                ndocs += 1
    env.close()
    print(json.dumps({"mode": mode, "files": len(paths), "docs": ndocs, "segments": nsegs, "hits": nhits,
                      "bytes": nbytes, "seconds": round(time.time() - t0, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
