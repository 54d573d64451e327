#!/usr/bin/env bash
# `npm run test:export`: the exported PyTorch projects really train, distributed, like Graft.
# For examples/digits-transfer.graft (digits_transfer) and examples/fashion-finetune.graft
# (fashion_from_digits): a local `graft run` (the spec's seed), `graft export --to pytorch`, then
# `torchrun --nproc_per_node 2` (gloo, CPU, one thread per process); check-runs.mjs then asserts
# |test accuracy (torch) − test accuracy (Graft)| ≤ max(0.05, 0.8/√n) for n test images and that each of the 2 ranks saw half of
# the data. Installs Debian's python3-torch when /usr/bin/python3 cannot import torch.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
PY=/usr/bin/python3
started=$(date +%s)

if ! "$PY" -c 'import torch' 2>/dev/null; then
    echo "test:export: installing Debian's python3-torch (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q python3-torch python3-numpy
fi
"$PY" -c 'import torch, numpy; print("test:export: torch", torch.__version__, "numpy", numpy.__version__)'
[ -f out/cli/main.js ] || npm run build

work="$(mktemp -d "${TMPDIR:-/tmp}/graft-test-export.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# The examples run from a copy, so that their outputs (runs/, `export "out/…"`) stay out of the checkout.
mkdir -p "$work/examples"
cp examples/*.graft "$work/examples/"
cp -r examples/data "$work/examples/data"
runs="$work/runs"
# Debian's torchrun 1.13 under Python 3.11 cannot parse its own --redirects/--tee defaults (docs/export.md).
torchrun_cmd=(torchrun --redirects 1 --tee 1 --nproc_per_node 2)
command -v torchrun >/dev/null || torchrun_cmd=("$PY" -m torch.distributed.run --redirects 1 --tee 1 --nproc_per_node 2)

pairs=("examples/digits-transfer.graft digits_transfer" "examples/fashion-finetune.graft fashion_from_digits")
for pair in "${pairs[@]}"; do
    read -r spec experiment <<<"$pair"
    t0=$(date +%s)
    echo "test:export: graft run $spec --experiment $experiment"
    node bin/graft.js run "$work/$spec" --experiment "$experiment" --runs-dir "$runs" 2>"$work/$experiment-graft.log" \
        || { tail -20 "$work/$experiment-graft.log"; exit 1; }
    t1=$(date +%s)
    echo "test:export: graft export $spec --experiment $experiment --to pytorch"
    node bin/graft.js export "$work/$spec" --experiment "$experiment" --to pytorch --runs-dir "$runs" --out "$work/$experiment-pytorch" 2>&1 | grep -v -e '^=*$' -e 'Hi, looks like' -e 'tfjs-node' -e '^$' || true
    [ -f "$work/$experiment-pytorch/train.py" ] || { echo "test:export: the export of $experiment wrote no train.py"; exit 1; }
    t2=$(date +%s)
    echo "test:export: torchrun --nproc_per_node 2 train.py ($experiment)"
    (cd "$work/$experiment-pytorch" && OMP_NUM_THREADS=1 "${torchrun_cmd[@]}" train.py --runs-dir "$runs" --threads 1) >"$work/$experiment-torch.log" 2>&1 \
        || { grep -v '^\s*File\|^\s*\^' "$work/$experiment-torch.log" | tail -30; exit 1; }
    t3=$(date +%s)
    echo "test:export: $experiment: graft run $((t1 - t0)) s, export $((t2 - t1)) s, torchrun $((t3 - t2)) s"
done

node test/export/check-runs.mjs "$runs" digits_transfer fashion_from_digits
# graft compare lists each local run beside its exported one, each labelled with its engine.
for experiment in digits_transfer fashion_from_digits; do
    node bin/graft.js compare "$runs/$experiment" | tee "$work/$experiment-compare.txt"
    engines="$(grep '^engine' "$work/$experiment-compare.txt")"
    case "$engines" in
        *Graft*PyTorch*DDP*×2*|*PyTorch*DDP*×2*Graft*) ;;
        *) echo "test:export: graft compare does not list the local and the exported run of $experiment: $engines"; exit 1 ;;
    esac
done
echo "test:export: passed in $(($(date +%s) - started)) s"
