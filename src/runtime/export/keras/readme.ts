// README.md of an exported Keras project: how to run it on one machine and on a cluster, what each
// file is, and how the Graft plan maps onto Keras and tf.distribute.

import type { ExportContext } from '../types.js';

export function kerasReadme(ctx: ExportContext): string {
    const { plan } = ctx;
    const stages = plan.stages.map((s, i) => `| ${s.name} | ${s.epochs} | ${s.batch} | ${s.optimizer.kind} lr ${s.optimizer.lr}${s.backboneLr !== undefined ? `, backbone lr ${s.backboneLr}` : ''} | ${s.schedule.kind} | ${ctx.stages[i]!.trainableLayers.length ? ctx.stages[i]!.trainableLayers.join(', ') : '(head only)'} |`);
    return `# ${plan.experiment} — exported from Graft to Keras (tf.distribute)

Exported by \`graft export ${ctx.specDisplay} --experiment ${plan.experiment} --to keras\` (seed ${plan.seed}).
The project is self-contained: it needs Python 3, TensorFlow 2.12–2.15 and NumPy
(\`requirements.txt\`), nothing from Graft.

## Run

\`\`\`sh
python3 train.py          # MirroredStrategy: all GPUs of this machine, else the CPU
# a cluster (MultiWorkerMirroredStrategy): one process per machine, each with its own TF_CONFIG (index 0 writes the run)
TF_CONFIG='{"cluster": {"worker": ["host1:12345", "host2:12345"]}, "task": {"type": "worker", "index": 0}}' python3 train.py
\`\`\`

Options: \`--runs-dir DIR\` (Graft's runs folder; default \`${ctx.runsRoot}\`), \`--run-dir DIR\`
(exactly this run folder), \`--threads N\`.

The chief writes the run to \`<runs-dir>/${plan.experiment}/<run-id>/\` in Graft's format —
\`results.json\` (with an \`engine\` field: \`keras\`, the TensorFlow version, the strategy, the number
of replicas and the samples each replica was fed), \`splits.json\`, \`plan.json\`, \`spec.graft\`,
\`model/model.keras\` and \`model/labels.json\` — so \`graft compare\` and the VS Code results panel
list it beside local runs.

## Files

| file | what |
| --- | --- |
| \`train.py\` | the plan as Python data (top), \`build_model()\`, training, evaluation, results.json |
| \`data/<split>_images.npy\` | uint8 [N, H, W, C] images before normalisation (${ctx.splits.map((s) => `${s.split} ${s.count}`).join(', ')}) |
| \`data/<split>_labels.npy\` | int64 [N] class indices into \`CLASSES\` |
| \`splits.json\` | Graft's split record (sample keys per split); split ${ctx.splitSource} |
| \`weights/*.npy\`, \`weights/index.json\` | initial weights in Keras' layout, per layer in \`get_weights()\` order: ${ctx.weightsSource} |
| \`plan.json\`, \`spec.graft.txt\` | the resolved Graft plan and a copy of the spec |
| \`results-template.json\` | results.json fields known at export time (cache key, classes, dependencies) |

## How the plan maps

| stage | epochs | batch (global) | optimizer | schedule | backbone layers that train |
| --- | --- | --- | --- | --- | --- |
${stages.join('\n')}

- Graft's networks are Keras networks: \`build_model()\` writes the same layer classes with the same
  names, configurations and wiring, and the weights load without conversion.
- Freezing per stage sets \`layer.trainable\`; a frozen BatchNormalization runs in inference mode,
  as in Graft. At the end of each stage the statistics of training BatchNorm layers are recomputed
  over up to 50 unaugmented training batches (Graft's precise BatchNorm).
- A custom training loop under the strategy: two optimizers (head at \`lr\`, backbone at \`backbone
  lr\`), the learning rate set per step by Graft's schedule, gradients summed over replicas before
  \`clip_norm\` and the update. The batch is the global batch: each of N replicas is fed its share
  of every batch of Graft's own order, augmented with Graft's own draws.
- Losses on logits, \`balance class_weights\`, early stopping, the best checkpoint and the metrics are
  ports of Graft's code (see the comments in \`train.py\`). Dropout masks come from TensorFlow, so
  numbers match Graft's statistically, not bit for bit.
- Every process evaluates the whole validation and test splits (the weights are mirrored), so all
  take the same early-stopping decisions.
`;
}
