// README.md of an exported PyTorch project: how to run it, what each file is, and how the
// Graft plan maps onto PyTorch (so a reader can check the translation without reading Graft).

import type { ExportContext } from '../types.js';

export function readme(ctx: ExportContext): string {
    const { plan } = ctx;
    const stages = plan.stages.map((s, i) => `| ${s.name} | ${s.epochs} | ${s.batch} | ${s.optimizer.kind} lr ${s.optimizer.lr}${s.backboneLr !== undefined ? `, backbone lr ${s.backboneLr}` : ''} | ${s.schedule.kind} | ${ctx.stages[i].trainableLayers.length ? ctx.stages[i].trainableLayers.join(', ') : '(head only)'} |`);
    return `# ${plan.experiment} — exported from Graft to PyTorch

Exported by \`graft export ${ctx.specDisplay} --experiment ${plan.experiment} --to pytorch\` (seed ${plan.seed}).
The project is self-contained: it needs Python 3, PyTorch ≥ 1.13 and NumPy (\`requirements.txt\`;
on Debian \`apt-get install python3-torch\`), nothing from Graft.

## Run

\`\`\`sh
torchrun --nproc_per_node 2 train.py            # DistributedDataParallel, 2 processes, gloo on the CPU
torchrun --nnodes 2 --node_rank R --master_addr HOST --nproc_per_node 4 train.py   # a cluster
python3 train.py                                # one process
\`\`\`

Debian bookworm's torch 1.13 under Python 3.11: its \`torchrun\` cannot parse its own
\`--redirects\`/\`--tee\` defaults; pass them: \`torchrun --redirects 1 --tee 1 --nproc_per_node 2 train.py\`.

Options: \`--runs-dir DIR\` (Graft's runs folder; default \`${ctx.runsRoot}\`), \`--run-dir DIR\`
(exactly this run folder), \`--threads N\`. Set \`OMP_NUM_THREADS\` per process on shared machines.

The run is written by rank 0 to \`<runs-dir>/${plan.experiment}/<run-id>/\` in Graft's format —
\`results.json\` (with an \`engine\` field: engine name, torch version, world size, per-rank sample
counts), \`splits.json\`, \`plan.json\`, \`spec.graft\`, \`model/model.pt\` (state dict) and
\`model/labels.json\` — so \`graft compare\` and the VS Code results panel list it beside local runs.

## Files

| file | what |
| --- | --- |
| \`train.py\` | the plan as Python data (top), the network (\`GraftNet\`), training, evaluation, results.json |
| \`data/<split>_images.npy\` | uint8 [N, H, W, C] images before normalisation (${ctx.splits.map((s) => `${s.split} ${s.count}`).join(', ')}) |
| \`data/<split>_labels.npy\` | int64 [N] class indices into \`CLASSES\` |
| \`splits.json\` | Graft's split record (sample keys per split); split ${ctx.splitSource} |
| \`weights/*.npy\`, \`weights/index.json\` | initial weights as a PyTorch state dict: ${ctx.weightsSource} |
| \`plan.json\`, \`spec.graft.txt\` | the resolved Graft plan and a copy of the spec (not \`.graft\`, so that a project inside the spec's folder does not redeclare its names) |
| \`results-template.json\` | results.json fields known at export time (cache key, classes, dependencies) |

## How the plan maps

| stage | epochs | batch (global) | optimizer | schedule | backbone layers that train |
| --- | --- | --- | --- | --- | --- |
${stages.join('\n')}

- Layers keep Graft's (Keras') names: \`GraftNet.layers["block1_conv"]\`, state-dict key \`layers.block1_conv.weight\`.
- Keras conventions are kept: BatchNorm eps and momentum from the layer (Keras momentum m = PyTorch 1 − m),
  TensorFlow's 'same' padding, Adam/AdamW/RMSprop eps 1e-7, channels-last flatten.
- A backbone BatchNorm that does not train runs in inference mode; at the end of each stage the
  statistics of training BatchNorm layers are recomputed over up to 50 unaugmented training batches
  (Graft's precise BatchNorm), averaged over the ranks.
- The batch is the global batch: each of N processes takes batch / N of it, and DDP averages the
  gradients, so a step sees the same number of images as in Graft. BatchNorm statistics in training
  mode are computed per process (no SyncBatchNorm on the CPU).
- Augmentation, normalisation, losses, schedules, early stopping, the best checkpoint and the metrics
  are ports of Graft's own code (see the comments in \`train.py\`). Random draws (order, augmentation,
  dropout) come from PyTorch/NumPy generators, so numbers match Graft's statistically, not bit for bit.
`;
}
