// The loss registry: every loss Graft trains with, in one list. Its name and options are the
// spec's words (the grammar's `loss` rule and the TextMate scopes are generated from this list by
// scripts/registry-rules.ts), its docs are hover's, its option ranges are the validator's checks,
// its defaults are the plan compiler's, and `fits` is the rule of which output it applies to.
// The runtime implements each entry (src/runtime/train/losses.ts, typed so a missing one does
// not compile). Adding a loss: an entry here, its implementation there, and their tests.

export type Activation = 'softmax' | 'sigmoid';

export interface LossOption {
    /** The default the plan gets when the spec does not give the option; none = left out of the plan. */
    readonly default?: number;
    readonly min: number;
    /** Upper bound; `maxExclusive` makes it open. None = unbounded. */
    readonly max?: number;
    readonly maxExclusive?: boolean;
    /** What messages call it: `label smoothing`, `focal gamma`. */
    readonly label: string;
    readonly doc: string;
}

export interface LossInfo {
    readonly doc: string;
    /** The output activations it applies to. */
    readonly fits: readonly Activation[];
    /** Options in the order the spec writes them: `loss focal gamma 2 alpha 0.25`. */
    readonly options: Readonly<Record<string, LossOption>>;
}

export const LOSSES = {
    crossentropy: {
        doc: 'Softmax crossentropy (single-label). `smoothing s` mixes the targets with the uniform distribution.',
        fits: ['softmax'],
        options: { smoothing: { default: 0, min: 0, max: 1, maxExclusive: true, label: 'label smoothing', doc: 'Label smoothing: targets become y·(1−s) + s/classes.' } }
    },
    binary_crossentropy: {
        doc: 'Binary crossentropy per tag (sigmoid outputs).',
        fits: ['sigmoid'],
        options: {}
    },
    focal: {
        doc: 'Focal loss: down-weights easy examples (`gamma`), for imbalanced tags or classes.',
        fits: ['softmax', 'sigmoid'],
        options: {
            gamma: { default: 2, min: 0, label: 'focal gamma', doc: 'Focal loss focusing parameter (2 is usual).' },
            alpha: { min: 0, max: 1, label: 'focal alpha', doc: 'Focal loss class balance weight α.' }
        }
    }
} as const satisfies Record<string, LossInfo>;

export type LossKind = keyof typeof LOSSES;
export const LOSS_KINDS = Object.keys(LOSSES) as LossKind[];

/** The loss a head trains with when the spec names none (or one that does not fit it). */
export const DEFAULT_LOSS: Record<Activation, LossKind> = { softmax: 'crossentropy', sigmoid: 'binary_crossentropy' };

type Options<K extends LossKind> = (typeof LOSSES)[K]['options'];
type WithDefault<O> = { -readonly [N in keyof O as O[N] extends { default: number } ? N : never]: number };
type WithoutDefault<O> = { -readonly [N in keyof O as O[N] extends { default: number } ? never : N]?: number };

/** A loss as the plan holds it: its kind and every option (defaults filled in). */
export type LossPlan = { [K in LossKind]: { kind: K } & WithDefault<Options<K>> & WithoutDefault<Options<K>> }[LossKind];

export function lossFits(kind: LossKind, activation: Activation): boolean {
    return (LOSSES[kind].fits as readonly Activation[]).includes(activation);
}

export function optionsOf(kind: LossKind): [string, LossOption][] {
    return Object.entries(LOSSES[kind].options as Record<string, LossOption>);
}

/** The plan of `kind` with the given option values and the defaults for the rest. */
export function lossPlan(kind: LossKind, given: Record<string, number | undefined>): LossPlan {
    const plan: Record<string, unknown> = { kind };
    for (const [name, option] of optionsOf(kind)) {
        const value = given[name] ?? option.default;
        if (value !== undefined) plan[name] = value;
    }
    return plan as LossPlan;
}

/** `in [0, 1)`, `0 or more`: an option's range as messages say it. */
export function rangeText(o: LossOption): string {
    return o.max === undefined ? `${o.min} or more` : `in [${o.min}, ${o.max}${o.maxExclusive ? ')' : ']'}`;
}

export function inRange(o: LossOption, v: number): boolean {
    return v >= o.min && (o.max === undefined || (o.maxExclusive ? v < o.max : v <= o.max));
}

/** The spec's words for a loss plan, defaults included (`focal gamma 2`); an option that is off (0 by default and 0) is left out. */
export function lossText(plan: LossPlan): string {
    const values = plan as unknown as Record<string, number | undefined>;
    const parts: string[] = [plan.kind];
    for (const [name, option] of optionsOf(plan.kind)) {
        const v = values[name];
        if (v !== undefined && !(v === 0 && option.default === 0)) parts.push(`${name} ${v}`);
    }
    return parts.join(' ');
}

/** `crossentropy [smoothing s] | binary_crossentropy | focal [gamma g] [alpha a]`: the `loss` statement's forms. */
export function lossSyntax(): string {
    return LOSS_KINDS.map((k) => [k, ...optionsOf(k).map(([name]) => `[${name} ${name[0]}]`)].join(' ')).join(' | ');
}

/** The losses that take option `name` (`vary smoothing` needs one of them). */
export function lossesWithOption(name: string): LossKind[] {
    return LOSS_KINDS.filter((k) => name in LOSSES[k].options);
}
