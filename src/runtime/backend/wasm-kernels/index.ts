// Registers, for the wasm backend, the kernels training needs that it lacks or gets wrong, and
// faster formulations of the slow ones. Idempotent.
import { registerConv2dBackpropFilter } from './conv2d-backprop-filter.js';
import { registerConv2dBackpropInput } from './conv2d-backprop-input.js';
import { registerDepthwiseBackprop } from './depthwise-backprop.js';
import { registerLayoutKernels } from './layout-kernels.js';
import { registerMaxPoolGrad } from './max-pool-grad.js';
import { registerReductions } from './reductions.js';

let registered = false;

export function registerWasmTrainingKernels(): void {
    if (registered) return;
    registered = true;
    registerConv2dBackpropFilter();
    registerConv2dBackpropInput();
    registerDepthwiseBackprop();
    registerMaxPoolGrad();
    registerReductions();
    registerLayoutKernels();
}
