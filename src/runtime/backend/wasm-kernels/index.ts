// Registers, for the wasm backend, the kernels training needs that it lacks or gets wrong, and
// faster formulations of the slow ones. Idempotent. It also replaces, for wasm only, the gradients
// of ReLU6, clipping and batchnorm (activation-grads.ts, batchnorm-grad.ts; gradients are
// registered for all backends, so these keep tfjs' own on the others) and, for every backend, that
// of Mean with the same bits (mean-grad.ts).
//
// GRAFT_WASM_BASELINE=1 registers the earlier formulations of the kernels that have newer,
// faster ones, so benches can compare both in one run (bench/profile-train.ts --ab).
import { registerActivationGrads } from './activation-grads.js';
import { registerAdamUpdate } from './adam-update.js';
import { registerBatchNormGrad } from './batchnorm-grad.js';
import { registerChannelAffine } from './channel-affine.js';
import { registerConv2dBackpropFilter } from './conv2d-backprop-filter.js';
import { registerConv2dBackpropInput } from './conv2d-backprop-input.js';
import { registerDepthwiseBackprop } from './depthwise-backprop.js';
import { registerElementwise } from './elementwise.js';
import { registerLayoutKernels } from './layout-kernels.js';
import { registerMaxPoolGrad } from './max-pool-grad.js';
import { registerMeanGrad } from './mean-grad.js';
import { registerMovingAverage } from './moving-average.js';
import { registerReductions } from './reductions.js';

let registered = false;

export function registerWasmTrainingKernels(): void {
    if (registered) return;
    registered = true;
    const baseline = process.env['GRAFT_WASM_BASELINE'] === '1';
    registerConv2dBackpropFilter(baseline);
    registerConv2dBackpropInput(baseline);
    registerDepthwiseBackprop(baseline);
    registerMaxPoolGrad(baseline);
    registerReductions();
    registerLayoutKernels();
    if (!baseline) {
        registerElementwise();
        registerActivationGrads();
        registerBatchNormGrad();
        registerChannelAffine();
        registerAdamUpdate();
        registerMovingAverage();
        registerMeanGrad();
    }
}
