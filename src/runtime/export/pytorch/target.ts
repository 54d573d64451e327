// The PyTorch target: train.py (DistributedDataParallel under torchrun), the initial weights
// converted to PyTorch's state-dict layout (weights/*.npy + index.json), requirements.txt and
// README.md. Data, split, plan and the results template come from the shared framework.

import type { ExportContext, ExportTarget, ProjectFile } from '../types.js';
import { npyBytes } from '../npy.js';
import { modelRefusals } from './model-code.js';
import { readme } from './readme.js';
import { ENGINE, trainScript } from './script.js';
import { stateDict } from './state-dict.js';

function weightFiles(ctx: ExportContext): ProjectFile[] {
    const tensors = stateDict(ctx.layers);
    const files: ProjectFile[] = tensors.map((t) => ({ path: `weights/${t.key}.npy`, content: npyBytes(t.values, t.shape) }));
    const index = {
        format: 'PyTorch state dict of GraftNet: one float32 .npy per tensor, converted from Graft\'s Keras-layout weights',
        source: ctx.weightsSource,
        tensors: Object.fromEntries(tensors.map((t) => [t.key, { file: `${t.key}.npy`, shape: t.shape, keras: t.source }]))
    };
    files.push({ path: 'weights/index.json', content: JSON.stringify(index, null, 2) + '\n' });
    return files;
}

export const pytorchTarget: ExportTarget = {
    name: 'pytorch',
    engine: ENGINE,
    refusals: ({ plan, layers }) => modelRefusals(plan, layers),
    files: (ctx) => [
        { path: 'train.py', content: trainScript(ctx) },
        { path: 'requirements.txt', content: '# Debian: apt-get install python3-torch python3-numpy\ntorch>=1.13\nnumpy>=1.21\n' },
        { path: 'README.md', content: readme(ctx) },
        ...weightFiles(ctx)
    ]
};
