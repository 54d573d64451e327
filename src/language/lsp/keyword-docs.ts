// One-line explanations of Graft's keywords for hover, taken from the language reference.
// A key `Rule.keyword` wins over the plain keyword where a word means different things in
// different statements (`batchnorm` in a head vs. as a freezing mode, `alpha` of a MobileNet vs.
// of the focal loss, …).

import { DEFAULT_OPTIMIZER } from '../../core/rules/optimizer.js';
import { LR_RANGE } from '../../core/rules/learning-rate.js';
import { DEFAULT_LOSS, LOSS_KINDS, LOSSES, lossSyntax, optionsOf, rangeText } from '../../core/losses.js';
import { defaultMetric, METRIC_KINDS, metricInfo, metricSyntax, metricText } from '../../core/metrics.js';

/** The loss registry's words: each loss, each option (as `LossProp.<option>`, since `alpha` also means a MobileNet width), and `loss` itself. */
function lossDocs(): Record<string, string> {
    const out: Record<string, string> = {
        loss: `${lossSyntax()}. Default: ${DEFAULT_LOSS.softmax} for softmax, ${DEFAULT_LOSS.sigmoid} for sigmoid.`
    };
    for (const kind of LOSS_KINDS) {
        out[kind] = LOSSES[kind].doc;
        for (const [name, option] of optionsOf(kind)) {
            // Plain `<option>` too (hover on `vary smoothing`); a keyword with another meaning below (alpha) overrides it.
            out[`LossProp.${name}`] = out[name] = `${option.doc} Must be ${rangeText(option)}${option.default !== undefined ? `; default ${option.default}` : ''}.`;
        }
    }
    return out;
}

/** The metric registry's words, and `metrics` itself. */
function metricDocs(): Record<string, string> {
    const out: Record<string, string> = {
        metrics: `Reported metrics: ${metricSyntax()}. Default: ${metricText(defaultMetric('single_label'))} (single-label) or ${metricText(defaultMetric('multi_label'))} (multi-label).`
    };
    for (const kind of METRIC_KINDS) {
        const info = metricInfo(kind);
        const only = info.tasks.length === 1 ? ` ${info.tasks[0] === 'single_label' ? 'Single' : 'Multi'}-label data only.` : '';
        out[kind] = `${info.doc}${info.averaged ? ' `macro` (default) or `micro` averaged.' : ''}${only}`;
    }
    return out;
}

export const KEYWORD_DOCS: Record<string, string> = {
    ...lossDocs(),
    ...metricDocs(),
    dataset: 'Declares a dataset: where the images come from, which classes, image size, normalization, splits and augmentation. Names are global across the workspace.',
    experiment: 'Declares an experiment: data, pretrained backbone, freezing, head, loss, optimizer, schedule, training stages and evaluation.',
    sweep: 'Declares a sweep: runs an experiment over a grid (or random sample) of settings. `sweep <name> of <experiment> { … }`.',
    source: 'Where the images come from: `folder "<dir>"` (a sub-folder per class), `csv "<file>" images "<dir>"`, `idx "<dir>"` (MNIST format) or `mnist` (ships with the tool).',
    folder: 'An ImageFolder layout: one sub-folder per class; with `splits "train", "val", "test"` the folder is pre-split (<dir>/train/<class>/…).',
    splits: 'The folder is pre-split: <dir>/<split>/<class>/… for each split named.',
    csv: 'A CSV with columns `file` and `label` (or `labels "a;b"` for multi-label); `images` names the folder the files are in.',
    images: 'The folder holding the image files the CSV names.',
    idx: 'A folder of MNIST-format files (train-images-idx3-ubyte[.gz] …).',
    mnist: 'The small MNIST digits set that ships with the tool (about 10,000 28×28 grayscale digits).',
    task: 'single_label (one class per image, the default) or multi_label (any number of tags per image).',
    single_label: 'One class per image (softmax output, crossentropy loss).',
    multi_label: 'Any number of tags per image (sigmoid output, binary crossentropy loss).',
    classes: 'Keep only these classes, in this order: `classes "cat", "dog"` or `classes 0..4`.',
    image: 'Input size and colour: `image <height> x <width> rgb | grayscale`; images are resized to it.',
    rgb: 'Three colour channels.',
    grayscale: 'One channel.',
    normalize: 'Pixel scaling: unit [0,1] (default) · symmetric [-1,1] · imagenet (ImageNet mean/std) · none (raw 0..255).',
    unit: 'Pixels scaled to [0, 1] (the default).',
    symmetric: 'Pixels scaled to [-1, 1] (what MobileNets expect).',
    imagenet: 'ImageNet: for `normalize`, the ImageNet per-channel mean/std; for `weights`, the published ImageNet weights (fetched once into the cache).',
    split: 'Split the data by percentages that sum to 100%: `split train 70%, val 15%, test 15% [stratified]`.',
    stratified: 'Every split keeps the class proportions of the whole dataset.',
    train: 'In `split`: the training share. As a block: `train { epochs … batch … early_stop … checkpoint … clip_norm … }`, the first training stage.',
    val: 'The validation split: monitors such as `val_loss` and `val_accuracy` are measured on it.',
    test: 'The test split: `evaluate on test` reports on it.',
    shots: 'Few-shot: keep k labelled training images per class (`shots <k> per class`); k must not exceed the smallest class.',
    augment: 'Random augmentation of the training split only, drawn fresh each epoch.',
    flip: 'Random flips: horizontal, vertical or both.',
    rotate: 'Random rotation up to ± the given degrees.',
    zoom: 'Random zoom by up to the given fraction.',
    shift: 'Random translation by up to the given fraction of the size.',
    brightness: 'Random brightness change by up to the given fraction.',
    contrast: 'Random contrast change by up to the given fraction.',
    crop: 'Random crop keeping at least 1 − the given fraction, resized back.',
    noise: 'Additive Gaussian noise with the given standard deviation.',
    balance: 'For imbalanced labels: none, class_weights (weight the loss) or oversample (repeat rare classes).',
    data: 'The dataset this experiment trains on.',
    backbone: 'The pretrained feature extractor: a zoo architecture, `from "<model.json>"`, or another experiment\'s trained backbone.',
    'BackboneLr.backbone': '`backbone lr <lr>`: a discriminative (usually lower) learning rate for the unfrozen backbone layers.',
    from: '`backbone from "<model.json path or URL>"`: a TensorFlow.js layers model whose layers become the backbone.',
    small_cnn: 'A small CNN from the zoo: one conv block per `filters` entry (default 32, 64, 128).',
    mobilenet_v1: 'MobileNet v1 from the zoo (alphas 0.25, 0.5, 0.75, 1.0).',
    mobilenet_v2: 'MobileNet v2 from the zoo (alphas 0.35, 0.5, 0.75, 1.0, 1.3, 1.4).',
    resnet18: 'ResNet18 from the zoo (basic residual blocks).',
    resnet50: 'ResNet50 from the zoo (bottleneck residual blocks).',
    vgg16: 'VGG16 from the zoo (13 convolutions in 5 blocks).',
    filters: 'small_cnn only: filters per conv block, e.g. `filters 32, 64, 128`.',
    'ZooBackbone.alpha': 'MobileNet width multiplier: the architecture offers a fixed set of alphas.',
    weights: 'Initial weights: imagenet (published ImageNet weights), none (random), or a model.json path/URL with optional sha256.',
    sha256: 'The expected SHA-256 of the weights file (64 hex digits); the download is refused when it differs.',
    cut: '`cut at "<layer>"`: drop every layer after the named one (default: the architecture\'s feature output).',
    at: '`cut at "<layer>"`: the last backbone layer kept.',
    lr: `Learning rate, in ${LR_RANGE}.`,
    freeze: 'Freezing statement, applied top to bottom: `freeze all | none`, `freeze until "<layer>"`, `freeze layers a..b`, `freeze matching "<glob>"`.',
    until: '`freeze until "<layer>"`: that layer and every layer before it stop training.',
    layers: '`freeze layers a..b`: by index in the backbone; `unfreeze last <n> layers`: the last n layers train.',
    matching: '`freeze matching "<glob>"`: every layer whose name matches (`*` any run, `?` one character).',
    unfreeze: '`unfreeze last <n> layers|blocks` or `unfreeze from "<layer>"`: those layers train again.',
    last: '`unfreeze last <n> layers|blocks`: the last n layers, or everything from the n-th last block on.',
    blocks: 'Counts the backbone\'s blocks (e.g. MobileNetV2\'s block_1 … block_16) instead of single layers.',
    all: '`freeze all`: no backbone layer trains.',
    batchnorm: 'In a head: a BatchNormalization layer. As a statement: `batchnorm frozen | trainable` for the backbone\'s BatchNorm layers.',
    'BatchnormMode.batchnorm': '`batchnorm frozen` (default): the backbone\'s BatchNorm layers stay in inference mode; `trainable`: they update their statistics.',
    'BatchnormLayer.batchnorm': 'A BatchNormalization layer in the head.',
    frozen: 'BatchNorm layers stay in inference mode (the default; what fine-tuning guides recommend).',
    trainable: 'BatchNorm layers update their statistics while training.',
    head: 'The new classifier on top of the backbone: `head { … }`, several named heads for multi-task, or `head prototypes`.',
    prototypes: 'Nearest class mean in feature space: no training, good for few-shot episodes.',
    distance: 'Distance used by the prototype head: cosine or euclidean.',
    pool: 'Reduces the feature map to a vector: average, max or flatten.',
    dense: '`dense <units> [relu|gelu|tanh|linear]`: a fully connected layer.',
    dropout: '`dropout <rate>`: randomly zeroes that fraction of activations while training.',
    output: '`output softmax | sigmoid [labels "<column>"] [weight <w>]`: the final layer; its units are the number of classes.',
    softmax: 'One class per image: probabilities summing to 1.',
    sigmoid: 'Independent probability per tag (multi-label).',
    labels: 'The CSV column this head learns (default `label` or `labels`).',
    weight: 'Weight of this term in the total loss.',
    optimizer: `sgd lr <lr> [momentum m] [nesterov] | adam lr <lr> | adamw lr <lr> decay <wd> | rmsprop lr <lr>. Default: ${DEFAULT_OPTIMIZER.kind} lr ${DEFAULT_OPTIMIZER.lr}.`,
    sgd: 'Stochastic gradient descent (with optional momentum and nesterov).',
    adam: 'Adam.',
    adamw: 'Adam with decoupled weight decay (`decay`).',
    rmsprop: 'RMSprop.',
    momentum: 'Momentum of sgd / rmsprop.',
    nesterov: 'Nesterov momentum (sgd).',
    decay: 'Decoupled weight decay of adamw.',
    schedule: 'Learning-rate schedule: constant | step every n factor f | cosine [warmup e] | one_cycle | plateau patience n factor f.',
    constant: 'The learning rate never changes (default).',
    step: 'Multiply the learning rate by `factor` every `every` epochs.',
    cosine: 'Cosine decay to zero over the stage, after an optional linear warmup.',
    warmup: 'Epochs of linear learning-rate warmup.',
    one_cycle: 'One-cycle policy: up then down within the stage.',
    plateau: 'Multiply the learning rate by `factor` when the validation loss has not improved for `patience` epochs.',
    epochs: 'Number of passes over the training split.',
    batch: 'Images per training step.',
    early_stop: '`early_stop <monitor> patience <n> [min_delta d]`: stop when the monitor has not improved for n epochs.',
    patience: 'Epochs without improvement before acting.',
    min_delta: 'Smallest change that counts as an improvement.',
    checkpoint: '`checkpoint best <monitor>`: keep the weights of the best epoch.',
    clip_norm: 'Clip the gradient norm to this value.',
    stage: '`stage <name> { … }`: a further training stage after `train`, starting from the weights the previous stage ended with (e.g. fine-tuning with unfrozen layers and a lower lr).',
    adapt: '`adapt to <dataset> using coral|mmd|dann [weight w]`: unsupervised domain adaptation; uses the target\'s train split without labels.',
    coral: 'CORAL: aligns the covariance of source and target features.',
    mmd: 'Maximum mean discrepancy between source and target features.',
    dann: 'Domain-adversarial training (gradient reversal).',
    macro: 'Average over classes, each class counting the same.',
    micro: 'Pool all decisions before computing the score.',
    evaluate: '`evaluate on test` · `on <dataset>` (its test split, else all of it) · `episodes n way w shot k query q` (few-shot).',
    episodes: 'Few-shot evaluation: n random episodes of w classes, k support and q query images each.',
    baseline: '`baseline scratch[, random_features]`: also train the same architecture from random weights, to show what the transfer gained. Each baseline uses the same data, splits, stages, optimizer, schedule, epochs and seed.',
    scratch: '`baseline scratch`: every layer of the same architecture trained from random weights in every stage (freezing statements and `backbone lr` do not apply): what you would get without pretraining. The transfer gain is measured against it.',
    random_features: '`baseline random_features`: the experiment\'s own freezing over a randomly initialised backbone: what the head learns from random features. The gain against it isolates what the pretrained weights give the frozen layers.',
    seeds: '`seeds 1, 2, 3`: run the experiment and its baselines once per seed; every metric and gain is reported as mean ± spread (sample standard deviation), and a gain smaller than its spread as not significant.',
    threshold: 'Multi-label decision threshold: a number, or `tuned` on the validation split.',
    tuned: 'Choose the threshold that maximises F1 on the validation split.',
    seed: 'Random seed for splits, augmentation and initialisation (default 0). `seeds a, b, c` repeats the experiment over several.',
    device: 'auto (default), gpu or cpu.',
    export: '`export "<dir>"`: write the trained model there.',
    of: '`sweep <name> of <experiment>`: the experiment whose settings vary.',
    vary: '`vary <setting> v1, v2, …`: the values a setting takes.',
    trials: '`trials <n> random`: sample n combinations instead of the full grid.',
    objective: '`objective max|min <monitor>`: how trials are ranked.'
};

export function keywordDoc(keyword: string, rule: string | undefined): string | undefined {
    return (rule ? KEYWORD_DOCS[`${rule}.${keyword}`] : undefined) ?? KEYWORD_DOCS[keyword];
}
