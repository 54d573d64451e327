// Threads per phase (native-kernels/phase-threads.ts): an inference graph times itself on one
// thread and on all, keeps the faster, and gives the same bits whichever it keeps (so the
// measured choice can never change a run's numbers).
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mobilenetV2 } from '../../bench/backend-nets.js';
import { compileFrozenGraph, frozenForTraining } from '../../src/runtime/backend/frozen-graph.js';
import { loadNativeAddon } from '../../src/runtime/backend/native-kernels/addon.js';
import { nativeThreadCount, registerNativeKernels } from '../../src/runtime/backend/native-kernels/index.js';
import { randomValues, useWasm } from './compare.js';

const load = loadNativeAddon();

describe.skipIf(!load.ok)('an inference graph measures its thread count (native kernels)', () => {
    beforeAll(async () => {
        await useWasm();
        registerNativeKernels(2);
    });
    afterAll(() => void registerNativeKernels(1));

    it('decides after six calls, and every call, on one thread or two, gives the same bits', () => {
        expect(nativeThreadCount()).toBe(2);
        const net = mobilenetV2(0.35, 48, 4);
        const graph = compileFrozenGraph(net);
        const x = tf.tensor(randomValues([4, 48, 48, 3], 41), [4, 48, 48, 3]);
        const outputs: Float32Array[] = [];
        for (let call = 0; call < 9; call++) {
            if (call < 6) expect(graph.inferenceThreads.decision).toBeUndefined();
            const y = graph.predict(x) as tf.Tensor;
            outputs.push(y.dataSync() as Float32Array);
            y.dispose();
        }
        expect(['one thread', 'all threads']).toContain(graph.inferenceThreads.decision);
        // Calls 1, 3, 5 ran on one thread, 0, 2, 4 on two: convolutions split their outputs, not their sums.
        for (const out of outputs.slice(1)) expect(Array.from(out)).toEqual(Array.from(outputs[0]!));
        // The native thread count is back to two after each one-thread call.
        expect(nativeThreadCount()).toBe(2);
        tf.dispose(x);
        graph.dispose();
        net.dispose();
    });

    it('a frozen prefix run inside another phase gives the same bits', () => {
        const net = mobilenetV2(0.35, 32, 3);
        const cut = net.layers.findIndex((l) => l.name === 'block_10_expand_conv');
        net.layers.forEach((l, i) => (l.trainable = i >= cut));
        const stage = compileFrozenGraph(net, { constant: frozenForTraining });
        const outer = compileFrozenGraph(mobilenetV2(0.35, 32, 3));
        const x = tf.tensor(randomValues([2, 32, 32, 3], 42), [2, 32, 32, 3]);
        const reference = stage.runFrozen(x);
        const values = [...reference.values.values()].map((t) => t.dataSync().slice());
        reference.dispose();
        // Nested: the outer phase's run covers the inner runFrozen calls.
        for (let i = 0; i < 4; i++) {
            outer.inferenceThreads.run(() => {
                const inner = stage.runFrozen(x);
                [...inner.values.values()].forEach((t, k) => expect(Array.from(t.dataSync())).toEqual(Array.from(values[k]!)));
                inner.dispose();
            });
        }
        tf.dispose(x);
        stage.dispose();
        outer.dispose();
        net.dispose();
    });
});
