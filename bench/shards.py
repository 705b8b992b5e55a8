#!/usr/bin/python3
"""bench/shards.py: one build on many threads against shards built at once
and merged, on one machine.

    bench/shards.py --pupa BIN --corpora DIR --lexicon YML [--mb N] [--reps N]
                    [--work DIR] [--shards 4x4,8x2,16x1]

For each bench corpus (English-heavy, Khmer-heavy; bench/gen_corpus.py
writes them from the real text in --corpora, read in place) it times:
  - `pupa index -j 1` and `-j NPROC` of the whole corpus;
  - for each NxJ: N `pupa index --shard K/N -j J` processes started
    together (wall until the last one ends), then `pupa merge` of them;
and checks that the merged data.mdb is byte-identical to the single
build's.  Best wall of --reps runs (the 1-thread build: one run).  Nothing
is written outside --work.  Figures: bench/results/device-16core-shards-*.txt;
what they say: docs/benchmarks.md and docs/scaling.md.
"""
import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no bench/__pycache__ in the work tree
import gen_corpus  # noqa: E402


def run_together(cmds, env):
    """Starts every command at once; returns the wall time until the last ends."""
    t = time.monotonic()
    procs = [subprocess.Popen(c, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for c in cmds]
    for p in procs:
        _, err = p.communicate()
        if p.returncode:
            sys.exit("%s failed: %s" % (" ".join(p.args), err.decode().strip()))
    return time.monotonic() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pupa", required=True)
    ap.add_argument("--corpora", required=True)
    ap.add_argument("--lexicon", required=True)
    ap.add_argument("--mb", type=float, default=192)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--work", default="/tmp/pupa-shards")
    ap.add_argument("--shards", default="4x4,8x2,16x1", help="N shards x J threads each")
    a = ap.parse_args()
    nproc = len(os.sched_getaffinity(0))
    env = dict(os.environ, PUPA_CACHE_DIR=os.path.join(a.work, "hs-cache"))
    layouts = [tuple(int(x) for x in s.split("x")) for s in a.shards.split(",")]
    for variant in ("en", "km"):
        root = os.path.join(a.work, "corpus-" + variant)
        shutil.rmtree(root, ignore_errors=True)
        gen_corpus.generate(a.corpora, root, variant, a.mb)
        one = os.path.join(a.work, "one")
        times, same = {}, True
        for rep in range(a.reps):
            for threads in ((1, nproc) if rep == 0 else (nproc,)):
                shutil.rmtree(one, ignore_errors=True)
                times.setdefault("one build -j %d" % threads, []).append(run_together(
                    [[a.pupa, "index", root, "-o", one, "-l", a.lexicon, "-j", str(threads)]], env))
            for n, j in layouts:
                shards = [os.path.join(a.work, "shard%d" % k) for k in range(1, n + 1)]
                merged = os.path.join(a.work, "merged")
                for d in shards + [merged]:
                    shutil.rmtree(d, ignore_errors=True)
                built = run_together([[a.pupa, "index", root, "--shard", "%d/%d" % (k, n), "-o",
                                       shards[k - 1], "-l", a.lexicon, "-j", str(j)]
                                      for k in range(1, n + 1)], env)
                merge = run_together([[a.pupa, "merge", "-o", merged] + shards], env)
                same &= filecmp.cmp(os.path.join(one, "data.mdb"),
                                    os.path.join(merged, "data.mdb"), shallow=False)
                times.setdefault("%d shards x -j %d" % (n, j), []).append(built)
                times.setdefault("  merge of %d" % n, []).append(merge)
                times.setdefault("  %d shards, then merge" % n, []).append(built + merge)
        base = min(times["one build -j 1"])
        print("== %s-heavy, %g MB, %d cores" % (variant, a.mb, nproc))
        for name, walls in times.items():
            w = min(walls)
            print("%-30s %7.3f s %7.1f MB/s %6.2f x one build -j 1" % (name, w, a.mb / w, base / w))
        print("merged data.mdb identical to one build's: %s" % ("yes" if same else "NO"))
        shutil.rmtree(root, ignore_errors=True)
    # The indexes made here, synthetic or not, do not stay behind.
    for name in os.listdir(a.work):
        if name in ("one", "merged", "hs-cache") or name.startswith("shard"):
            shutil.rmtree(os.path.join(a.work, name), ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
