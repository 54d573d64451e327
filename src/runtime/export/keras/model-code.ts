// Generates build_model(): the network in the Keras functional API, one call per layer with
// Graft's layer name and the layer's own configuration, wired as Graft wires it. Graft's zoo and
// heads are Keras networks already (tfjs-layers uses Keras' classes, names and weight layouts), so
// this is a transcription: same classes, same 'same' padding, same BatchNorm epsilon and momentum,
// and the weights load as they are (weights/, Keras layout).

import type { ExperimentPlan } from '../../../core/plan/types.js';
import type { LayerSpec, Refusal } from '../types.js';
import { pyString } from '../pytorch/py-literal.js';

/** Layer classes the generator writes (all of Graft's zoo networks and heads use only these). */
export const KERAS_LAYER_CLASSES = new Set([
    'InputLayer', 'Conv2D', 'DepthwiseConv2D', 'BatchNormalization', 'ReLU', 'Activation', 'ZeroPadding2D', 'MaxPooling2D', 'AveragePooling2D',
    'GlobalAveragePooling2D', 'GlobalMaxPooling2D', 'Flatten', 'Dense', 'Dropout', 'Add', 'Multiply', 'Concatenate'
]);

/** Activations tf.keras knows by these names. */
export const KERAS_ACTIVATIONS = ['linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'gelu', 'swish', 'silu', 'elu', 'softmax', 'softplus'];

/** Layers the Keras generator cannot write, refused with the backbone's or head's spec line. */
export function kerasModelRefusals(plan: ExperimentPlan, layers: LayerSpec[]): Refusal[] {
    const out: Refusal[] = [];
    const atOf = (l: LayerSpec) => (l.part === 'head' && plan.head.kind === 'output' ? plan.head.heads[0].at : plan.backbone.at);
    for (const l of layers) {
        if (!KERAS_LAYER_CLASSES.has(l.className)) {
            out.push({ at: atOf(l), what: `layer ${l.name} (${l.className})`, why: `the Keras generator does not write ${l.className} layers; use a zoo backbone (small_cnn, vgg16, resnet50, mobilenet_v2) or \`cut at\` a layer before it` });
        } else if (l.config.activation !== undefined && !KERAS_ACTIVATIONS.includes(l.config.activation)) {
            out.push({ at: atOf(l), what: `layer ${l.name}'s activation ${l.config.activation}`, why: `supported activations: ${KERAS_ACTIVATIONS.join(', ')}` });
        }
    }
    return out;
}

const tuple = (xs: readonly number[]): string => `(${xs.join(', ')}${xs.length === 1 ? ',' : ''})`;
const bool = (b: boolean | undefined, dflt: boolean): string => ((b ?? dflt) ? 'True' : 'False');

/** The keyword arguments of a layer's constructor, `name=` last. */
function constructorCall(l: LayerSpec): string | undefined {
    const c = l.config;
    const name = `name=${pyString(l.name)}`;
    const act = `activation=${pyString(c.activation ?? 'linear')}`;
    switch (l.className) {
        case 'Conv2D':
            return `layers.Conv2D(${c.filters}, ${tuple(c.kernelSize ?? [1, 1])}, strides=${tuple(c.strides ?? [1, 1])}, padding=${pyString(c.padding ?? 'valid')}, dilation_rate=${tuple(c.dilation ?? [1, 1])}, use_bias=${bool(c.useBias, true)}, ${act}, ${name})`;
        case 'DepthwiseConv2D':
            return `layers.DepthwiseConv2D(${tuple(c.kernelSize ?? [1, 1])}, strides=${tuple(c.strides ?? [1, 1])}, padding=${pyString(c.padding ?? 'valid')}, depth_multiplier=${c.depthMultiplier ?? 1}, dilation_rate=${tuple(c.dilation ?? [1, 1])}, use_bias=${bool(c.useBias, true)}, ${act}, ${name})`;
        case 'BatchNormalization':
            return `layers.BatchNormalization(momentum=${c.momentum ?? 0.99}, epsilon=${c.epsilon ?? 1e-3}, center=${bool(c.center, true)}, scale=${bool(c.scale, true)}, ${name})`;
        case 'ReLU':
            return `layers.ReLU(max_value=${c.maxValue ?? 'None'}, ${name})`;
        case 'Activation':
            return `layers.Activation(${pyString(c.activation ?? 'linear')}, ${name})`;
        case 'ZeroPadding2D': {
            const p = c.pad ?? [[1, 1], [1, 1]];
            return `layers.ZeroPadding2D(padding=(${tuple(p[0])}, ${tuple(p[1])}), ${name})`;
        }
        case 'MaxPooling2D':
        case 'AveragePooling2D': {
            const k = c.poolSize ?? [2, 2];
            return `layers.${l.className}(pool_size=${tuple(k)}, strides=${tuple(c.strides ?? k)}, padding=${pyString(c.padding ?? 'valid')}, ${name})`;
        }
        case 'GlobalAveragePooling2D':
        case 'GlobalMaxPooling2D':
        case 'Flatten':
        case 'Add':
        case 'Multiply':
            return `layers.${l.className}(${name})`;
        case 'Concatenate':
            return `layers.Concatenate(axis=-1, ${name})`;
        case 'Dense':
            return `layers.Dense(${c.units}, use_bias=${bool(c.useBias, true)}, ${act}, ${name})`;
        case 'Dropout':
            return `layers.Dropout(${c.rate ?? 0}, ${name})`;
        default:
            return undefined;
    }
}

/** build_model(): inputs → backbone → head's logits, in Graft's layer order. */
export function kerasModelCode(layers: LayerSpec[], experiment: string): string {
    const input = layers.find((l) => l.part === 'input');
    const last = layers[layers.length - 1]!;
    const t = (name: string) => `t[${pyString(name)}]`;
    const inShape = input?.outShape.length ? input.outShape : layers.find((l) => l.part !== 'input')?.inShape ?? [];
    const lines = [
        'def build_model():',
        `    """${experiment}'s network, layer for layer as Graft builds it (same classes, names, order).`,
        '',
        '    Input: float images [N, H, W, C], normalised; output: the head\'s logits [N, classes]."""',
        `    t = {${pyString(input?.name ?? 'input')}: keras.Input(shape=${tuple(inShape)}, name=${pyString(input?.name ?? 'input')})}`
    ];
    let part = '';
    for (const l of layers) {
        if (l.part === 'input') continue;
        const call = constructorCall(l);
        if (!call) continue;
        if (l.part !== part) {
            part = l.part;
            lines.push(`    # ${part}`);
        }
        const ins = l.inbound.map(t);
        const arg = ['Add', 'Multiply', 'Concatenate'].includes(l.className) ? `[${ins.join(', ')}]` : ins[0];
        lines.push(`    ${t(l.name)} = ${call}(${arg})`);
    }
    lines.push(`    return keras.Model(${t(input?.name ?? 'input')}, ${t(last.name)}, name=${pyString(experiment)})`);
    return lines.join('\n');
}
