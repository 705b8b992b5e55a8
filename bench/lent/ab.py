#!/usr/bin/python3
"""bench/lent/ab.py: an A/B of pupa binaries on the lent machine.

    ab.py BINDIR WORK "BIN BIN..." "CORPUS..." "J..." N

For each corpus (WORK/corpus/NAME) and thread count, builds an index N
times with each binary in turn, so that the machine's drift falls on all
alike.  It prints every run (wall and CPU time in ms, peak RSS in MB, and
the lines starting with PT that a binary built with timing inside prints
to stderr) and then a SUMMARY line per binary: best and median.  Binaries
run with PUPA_CACHE_DIR=WORK/hs-cache and PT=1.
"""
import os
import statistics
import sys
import tempfile
import time


def build_once(binary, corpus_dir, lexicon, index, threads, env):
    """One `pupa index` from scratch: (wall ms, CPU ms, peak RSS MB, stderr)."""
    os.system("rm -rf '%s'" % index)
    with tempfile.TemporaryFile("w+") as err:
        t = time.monotonic()
        pid = os.fork()
        if pid == 0:
            os.dup2(err.fileno(), 2)
            os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
            os.execve(binary, [binary, "index", corpus_dir, "-l", lexicon, "-o", index,
                               "-j", threads], env)
        _, _, ru = os.wait4(pid, 0)
        wall = (time.monotonic() - t) * 1e3
        err.seek(0)
        return wall, (ru.ru_utime + ru.ru_stime) * 1e3, ru.ru_maxrss / 1024, err.read()


def main():
    bindir, work, bins, corpora, threads, n = sys.argv[1:7]
    bins, corpora, threads, n = bins.split(), corpora.split(), threads.split(), int(n)
    env = dict(os.environ, PUPA_CACHE_DIR=os.path.join(work, "hs-cache"), PT="1")
    lexicon = os.path.join(work, "lex", "theme.yml")
    for corpus in corpora:
        for j in threads:
            runs = {b: [] for b in bins}
            for _ in range(n):
                for b in bins:
                    wall, cpu, rss, err = build_once(os.path.join(bindir, b),
                                                     os.path.join(work, "corpus", corpus),
                                                     lexicon, "/tmp/lent-ab-index", j, env)
                    runs[b].append((wall, cpu, rss))
                    timing = " ".join(l for l in err.splitlines() if l.startswith("PT"))
                    print("%s j%s %s wall %.1f cpu %.1f rss %.1f %s"
                          % (corpus, j, b, wall, cpu, rss, timing), flush=True)
            for b in bins:
                v = runs[b]
                med = lambda i: statistics.median(x[i] for x in v)
                print("SUMMARY %s j%s %-12s wall best %.1f median %.1f | cpu best %.1f median %.1f"
                      " | rss median %.1f (%d runs)"
                      % (corpus, j, b, min(x[0] for x in v), med(0), min(x[1] for x in v), med(1),
                         med(2), len(v)), flush=True)


if __name__ == "__main__":
    main()
