// A ReLU followed by a max-pool (small_cnn's blocks: conv → BatchNorm → ReLU → max-pool 2) has
// its gradient folded into the max-pool's: the pool routes dy to the cell holding each window's
// maximum, and the ReLU then zeroes it where that cell is 0. The max-pool gradient kernel can do
// both at once (a cell passes dy only when it is above zero), which saves the ReLU gradient's
// whole pass over the activation (1.6 million elements per step in small_cnn's first block).
//
// Tensors are matched by data id (Identity shares it, so the engine's saved copies match too):
//   - the native Relu notes which input each output came from;
//   - the MaxPool gradient, when its input is such an output, asks the kernel for the folded
//     gradient, and the kernel notes that its result already carries that ReLU's mask;
//   - the Relu gradient passes such a dy on unchanged. A dy summed from several uses of the
//     ReLU's output is a new tensor without the note, and gets the usual gradient.
// Weak maps: notes go with their tensors.
import * as tf from '@tensorflow/tfjs';
import { overrideGradient } from '../gradient-override.js';

type DataId = object;

const reluInputOf = new WeakMap<DataId, DataId>();
const maskedFor = new WeakMap<DataId, DataId>();

/** `output` is ReLU(`input`). */
export function noteRelu(output: DataId, input: DataId): void {
    reluInputOf.set(output, input);
}

/** The input of the ReLU that produced `output`, if a native ReLU did. */
export function reluInputOfOutput(output: DataId): DataId | undefined {
    return reluInputOf.get(output);
}

/** `grad` is already the gradient at the input `reluInput` of a ReLU (its mask applied). */
export function noteMasked(grad: DataId, reluInput: DataId): void {
    maskedFor.set(grad, reluInput);
}

export function alreadyMasked(grad: tf.Tensor, reluInput: tf.Tensor): boolean {
    return maskedFor.get(grad.dataId) === reluInput.dataId;
}

/** The attribute the MaxPool gradient sets to ask the kernel for the folded gradient. */
export const RELU_MASK_ATTR = 'graftReluMask';

let registered = false;

/**
 * MaxPool's gradient, asking for the folded ReLU where its input is a ReLU's output on a backend
 * with the kernel; tfjs' own everywhere else.
 */
export function registerFoldedPoolGradient(kernelAvailable: () => boolean): void {
    if (registered) return;
    registered = overrideGradient('MaxPool', (original) => (dy, saved, attrs) => {
        const [x, y] = saved as [tf.Tensor, tf.Tensor];
        const g = dy as tf.Tensor;
        if (x.rank !== 4 || reluInputOfOutput(x.dataId) === undefined || !kernelAvailable()) return original(dy, saved, attrs);
        return { x: () => tf.engine().runKernel('MaxPoolGrad', { dy: g, input: x, output: y }, { ...attrs, [RELU_MASK_ATTR]: true }) as tf.Tensor };
    });
}
