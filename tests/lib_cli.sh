# lib_cli.sh: what every tests/cli_*.sh starts with.  Sourced, with the
# script's arguments: PUPA CORPORA SOURCE_ROOT.  Sets pupa, src and sample,
# makes the scratch folder $tmp (removed on exit), defines fail, and runs
# from the source root.
set -euo pipefail
pupa=$1 src=$3
sample=$src/corpora-sample
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cd "$src"

# many_sample DIR: the sample's files that carry their own header, copied
# 25 times into DIR/YEAR/ (over 600 files): a corpus of several batches.
many_sample() {
  local k f y
  for k in $(seq 1 25); do
    for f in "$sample"/*/*.txt; do
      grep -q '^participant:' "$f" || continue # its metadata is in the manifest
      y=$(basename "$(dirname "$f")")
      mkdir -p "$1/$y"
      cp "$f" "$1/$y/$(basename "$f" .txt)_$k.txt"
    done
  done
}
