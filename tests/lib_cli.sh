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
