// Graft's faster gradients replace tfjs' own for a kernel. Gradients are registered per kernel
// name for every backend, so each replacement keeps tfjs' function and hands it the cases it does
// not cover (other backends, other dtypes or shapes).
import * as tf from '@tensorflow/tfjs';

type GradFunc = tf.GradConfig['gradFunc'];

/**
 * Registers `make(original)` as the gradient of `kernelName`, with tfjs' inputs and outputs to
 * save. False (nothing registered) when tfjs has no gradient for it.
 */
export function overrideGradient(kernelName: string, make: (original: GradFunc) => GradFunc): boolean {
    const original = tf.getGradient(kernelName);
    if (original === undefined) return false;
    tf.registerGradient({ ...original, gradFunc: make(original.gradFunc) });
    return true;
}
