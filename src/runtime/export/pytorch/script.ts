// Renders the PyTorch project's train.py in the shared layout (../python/script-layout.ts): the
// Keras-semantics layer modules, the generated GraftNet and the DDP training code (runtime-code.ts).

import type { ExportContext } from '../types.js';
import { modelCode } from './model-code.js';
import { trainScriptText } from '../python/script-layout.js';
import { LAYER_MODULES, TRAINING } from './runtime-code.js';

export const ENGINE = 'pytorch-ddp';

export function trainScript(ctx: ExportContext): string {
    return trainScriptText(ctx, {
        target: 'pytorch',
        engine: ENGINE,
        trainsWith: 'PyTorch DistributedDataParallel',
        run: ['torchrun --nproc_per_node 2 train.py          # 2 processes on this machine (gloo, CPU)', 'python3 train.py                              # one process'],
        imports: ['import torch', 'import torch.distributed as dist', 'import torch.nn as nn', 'import torch.nn.functional as F', 'from torch.nn.parallel import DistributedDataParallel as DDP'],
        beforeNetwork: LAYER_MODULES,
        network: modelCode(ctx.layers, ctx.plan.experiment),
        training: TRAINING
    });
}
