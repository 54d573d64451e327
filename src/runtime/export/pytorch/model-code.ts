// Generates the GraftNet module: one PyTorch module per Keras layer, stored in a ModuleDict under
// the layer's Graft name (so state-dict keys, freezing lists and error messages use the names the
// spec and `graft plan` show), and a forward() that follows the Keras wiring line by line.
// TensorFlow's 'same' padding pads bottom/right more when the total is odd; the padding is
// computed here from the known input sizes and passed explicitly.

import type { LayerSpec, Refusal } from '../types.js';
import type { ExperimentPlan } from '../../../core/plan/types.js';
import { pyString } from './py-literal.js';

/** Activations the script's ACTIVATIONS table implements. */
export const ACTIVATIONS = ['linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'gelu', 'swish', 'silu', 'elu', 'softmax', 'softplus'];

const LAYER_CLASSES = new Set([
    'InputLayer', 'Conv2D', 'DepthwiseConv2D', 'BatchNormalization', 'ReLU', 'Activation', 'ZeroPadding2D', 'MaxPooling2D', 'AveragePooling2D',
    'GlobalAveragePooling2D', 'GlobalMaxPooling2D', 'Flatten', 'Dense', 'Dropout', 'Add', 'Multiply', 'Concatenate'
]);

/** (left, right, top, bottom) padding TensorFlow applies for `padding`. */
export function tfPadding(layer: LayerSpec, kernel: [number, number], strides: [number, number], dilation: [number, number] = [1, 1]): [number, number, number, number] {
    if (layer.config.padding !== 'same') return [0, 0, 0, 0];
    const [h, w] = layer.inShape;
    const along = (size: number, k: number, s: number, d: number): [number, number] => {
        const eff = (k - 1) * d + 1;
        const out = Math.ceil(size / s);
        const total = Math.max((out - 1) * s + eff - size, 0);
        return [Math.floor(total / 2), total - Math.floor(total / 2)];
    };
    const [top, bottom] = along(h, kernel[0], strides[0], dilation[0]);
    const [left, right] = along(w, kernel[1], strides[1], dilation[1]);
    return [left, right, top, bottom];
}

/** Layers or settings the generator has no PyTorch module for, refused with the backbone's or head's spec line. */
export function modelRefusals(plan: ExperimentPlan, layers: LayerSpec[]): Refusal[] {
    const out: Refusal[] = [];
    const atOf = (l: LayerSpec) => (l.part === 'head' && plan.head.kind === 'output' ? plan.head.heads[0].at : plan.backbone.at);
    for (const l of layers) {
        const c = l.config;
        if (!LAYER_CLASSES.has(l.className)) {
            out.push({ at: atOf(l), what: `layer ${l.name} (${l.className})`, why: `the PyTorch generator has no module for ${l.className}; use a zoo backbone (small_cnn, vgg16, resnet50, mobilenet_v2) or \`cut at\` a layer before it` });
            continue;
        }
        if (c.activation !== undefined && !ACTIVATIONS.includes(c.activation)) {
            out.push({ at: atOf(l), what: `layer ${l.name}'s activation ${c.activation}`, why: `supported activations: ${ACTIVATIONS.join(', ')}` });
        }
        if (l.className === 'AveragePooling2D' && tfPadding(l, c.poolSize ?? [2, 2], c.strides ?? c.poolSize ?? [2, 2]).some((p) => p > 0)) {
            out.push({ at: atOf(l), what: `layer ${l.name} (average pooling with 'same' padding)`, why: 'Keras leaves the padding out of the average, PyTorch cannot; cut the backbone before it' });
        }
        if (l.className === 'BatchNormalization' && (c.center === false || c.scale === false)) {
            out.push({ at: atOf(l), what: `layer ${l.name} (BatchNormalization without center or scale)`, why: 'PyTorch BatchNorm has both or neither; use a backbone whose BatchNorm layers have both' });
        }
    }
    return out;
}

const tuple = (xs: readonly number[]): string => `(${xs.join(', ')}${xs.length === 1 ? ',' : ''})`;

function moduleFor(l: LayerSpec): string | undefined {
    const c = l.config;
    const act = pyString(c.activation ?? 'linear');
    switch (l.className) {
        case 'Conv2D':
        case 'DepthwiseConv2D': {
            const k = c.kernelSize ?? [1, 1];
            const s = c.strides ?? [1, 1];
            const d = c.dilation ?? [1, 1];
            const cin = l.inShape[2];
            const depthwise = l.className === 'DepthwiseConv2D';
            const cout = depthwise ? cin * (c.depthMultiplier ?? 1) : c.filters!;
            return `Conv2d(${cin}, ${cout}, ${tuple(k)}, stride=${tuple(s)}, pad=${tuple(tfPadding(l, k, s, d))}, dilation=${tuple(d)}, groups=${depthwise ? cin : 1}, bias=${c.useBias === false ? 'False' : 'True'}, activation=${act})`;
        }
        case 'BatchNormalization': {
            const channels = l.inShape[l.inShape.length - 1];
            return `BatchNorm${l.inShape.length === 3 ? '2d' : '1d'}(${channels}, eps=${c.epsilon ?? 1e-3}, keras_momentum=${c.momentum ?? 0.99})`;
        }
        case 'ReLU':
            return `Activation("relu", max_value=${c.maxValue ?? 'None'})`;
        case 'Activation':
            return `Activation(${act})`;
        case 'ZeroPadding2D': {
            const p = c.pad ?? [[1, 1], [1, 1]];
            return `Pad((${p[1][0]}, ${p[1][1]}, ${p[0][0]}, ${p[0][1]}))`;
        }
        case 'MaxPooling2D':
        case 'AveragePooling2D': {
            const k = c.poolSize ?? [2, 2];
            const s = c.strides ?? k;
            return `Pool2d(${pyString(l.className === 'MaxPooling2D' ? 'max' : 'average')}, ${tuple(k)}, stride=${tuple(s)}, pad=${tuple(tfPadding(l, k, s))})`;
        }
        case 'GlobalAveragePooling2D':
            return 'GlobalPool("average")';
        case 'GlobalMaxPooling2D':
            return 'GlobalPool("max")';
        case 'Flatten':
            return 'KerasFlatten()';
        case 'Dense':
            return `Dense(${l.inShape[l.inShape.length - 1]}, ${c.units}, bias=${c.useBias === false ? 'False' : 'True'}, activation=${act})`;
        case 'Dropout':
            return `nn.Dropout(${c.rate ?? 0})`;
        default:
            return undefined;
    }
}

function forwardLine(l: LayerSpec): string {
    const t = (name: string) => `t[${pyString(name)}]`;
    const ins = l.inbound.map(t);
    switch (l.className) {
        case 'Add':
            return `${t(l.name)} = ${ins.join(' + ')}`;
        case 'Multiply':
            return `${t(l.name)} = ${ins.join(' * ')}`;
        case 'Concatenate':
            return `${t(l.name)} = torch.cat([${ins.join(', ')}], dim=1)  # Keras' last axis = channels`;
        default:
            return `${t(l.name)} = self.layers[${pyString(l.name)}](${ins[0]})`;
    }
}

/** The GraftNet class: layers in Keras order, backbone then head. */
export function modelCode(layers: LayerSpec[], experiment: string): string {
    const input = layers.find((l) => l.part === 'input');
    const last = layers[layers.length - 1];
    const lines = [
        'class GraftNet(nn.Module):',
        `    """${experiment}'s network, layer for layer as Graft builds it (Keras names and order).`,
        '',
        '    Input: float images [N, C, H, W], normalised; output: the head\'s logits [N, classes]."""',
        '',
        '    def __init__(self):',
        '        super().__init__()',
        '        self.layers = nn.ModuleDict()'
    ];
    let part = '';
    for (const l of layers) {
        const mod = moduleFor(l);
        if (!mod) continue;
        if (l.part !== part) {
            part = l.part;
            lines.push(`        # ${part === 'backbone' ? 'backbone' : 'head'}`);
        }
        lines.push(`        self.layers[${pyString(l.name)}] = ${mod}`);
    }
    lines.push('', '    def forward(self, x):', `        t = {${pyString(input?.name ?? 'input')}: x}`);
    for (const l of layers) if (l.part !== 'input') lines.push(`        ${forwardLine(l)}`);
    lines.push(`        return t[${pyString(last.name)}]`);
    return lines.join('\n');
}
