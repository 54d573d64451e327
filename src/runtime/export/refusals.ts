// What does not translate to another engine, whatever the target: refused before anything is
// written, each with the spec line it comes from (the plan's `at` locations) and what to do.
// The table in docs/export.md lists the same constructs; keep the two in step.

import { LOSS_KINDS } from '../../core/losses.js';
import { METRIC_KINDS, metricInfo } from '../../core/metrics.js';
import { listText } from '../../core/util/list-text.js';
import { LOSS_IMPLEMENTATIONS } from '../train/losses.js';
import { readFileSync } from 'node:fs';
import type { ExperimentPlan, SpecLoc } from '../../core/plan/types.js';
import { displayPath } from '../../core/display-path.js';
import type { Refusal, TargetName } from './types.js';

/**
 * The line of a `keyword …` statement directly inside the experiment block that starts at `at`:
 * the plan keeps no location for metrics, threshold, seeds or evaluate, and a refusal should
 * point at the statement, not the experiment. Falls back to `at` when it cannot be found.
 */
export function statementAt(at: SpecLoc, keyword: string): SpecLoc {
    let lines: string[];
    try {
        lines = readFileSync(at.file, 'utf8').split(/\r?\n/);
    } catch {
        return at;
    }
    const start = new RegExp(`^(\\s*)${keyword}\\b`);
    let depth = 0;
    for (let i = at.line - 1; i < lines.length; i++) {
        const line = lines[i].replace(/\/\/.*$/, '');
        const m = depth === 1 ? start.exec(line) : null;
        if (m) return { file: at.file, line: i + 1, column: m[1].length + 1 };
        for (const ch of line) {
            if (ch === '{') depth++;
            else if (ch === '}') depth--;
        }
        if (depth <= 0 && i > at.line - 1) break;
    }
    return at;
}

/** Refusals every target shares: constructs that need Graft's own runtime. */
export function sharedRefusals(plan: ExperimentPlan): Refusal[] {
    const out: Refusal[] = [];
    if (plan.head.kind === 'prototypes') {
        out.push({ at: plan.head.at, what: '`head prototypes`', why: 'nothing trains in a prototypes head (class means of backbone features, evaluated by episodes); run it with `graft run`' });
        return out;
    }
    if (plan.adapt) {
        out.push({ at: plan.adapt.at, what: `\`adapt to ${plan.adapt.target.name} ${plan.adapt.method}\``, why: 'domain adaptation needs Graft\'s paired source/target batches and its adaptation losses; remove the statement to export the source-only training, or run it with `graft run`' });
    }
    if (plan.head.heads.length > 1) {
        out.push({ at: plan.head.heads[1].at, what: `a second output head (\`${plan.head.heads[1].name}\`)`, why: 'multi-task heads are not exported; keep one head' });
    }
    const head = plan.head.heads[0];
    if (head && !LOSS_IMPLEMENTATIONS[head.loss.kind].exported) {
        out.push({ at: head.at, what: `the \`${head.loss.kind}\` loss`, why: `the exported projects do not implement it yet; train it with \`graft run\`, or use ${LOSS_KINDS.filter((k) => LOSS_IMPLEMENTATIONS[k].exported).join(', ')}` });
    }
    if (head?.labels !== undefined) {
        out.push({ at: head.at, what: `\`labels ${head.labels}\``, why: 'only the dataset\'s default label column is exported; drop the `labels` statement' });
    }
    if (plan.data.task === 'multi_label') {
        out.push({ at: plan.data.at, what: 'a multi-label dataset', why: 'only single-label classification is exported; use `graft run` for multi-label data' });
    }
    if (plan.data.balance === 'oversample') {
        out.push({ at: plan.data.at, what: '`balance oversample`', why: 'oversampling is not reproduced under a distributed sampler; use `balance class_weights`, which is exported' });
    }
    if (plan.threshold) {
        out.push({ at: statementAt(plan.at, 'threshold'), what: `\`threshold ${plan.threshold.kind === 'fixed' ? plan.threshold.value : 'tuned'}\``, why: 'decision thresholds apply to multi-label heads, which are not exported; remove the statement' });
    }
    for (const m of plan.metrics) {
        if (!metricInfo(m.kind).exported) {
            const exported = METRIC_KINDS.filter((k) => metricInfo(k).exported).map((k) => (metricInfo(k).param ? `${k} ${metricInfo(k).param!.name}` : k));
            out.push({ at: statementAt(plan.at, 'metrics'), what: `\`metrics ${m.kind}\``, why: `${m.kind} is not computed by the exported script; drop it from \`metrics\` (${listText(exported)} are exported)` });
        }
    }
    for (const e of plan.evaluate) {
        if (e.kind === 'episodes') out.push({ at: statementAt(plan.at, 'evaluate'), what: '`evaluate episodes`', why: 'few-shot episodes are evaluated by Graft only; use `evaluate on test`' });
        if (e.kind === 'dataset') out.push({ at: e.dataset.at, what: `\`evaluate on ${e.dataset.name}\``, why: 'only the experiment\'s own splits are exported; use `evaluate on test`, or export an experiment trained on that dataset' });
    }
    if (plan.seeds && plan.seeds.length > 1) {
        out.push({ at: statementAt(plan.at, 'seeds'), what: `\`seeds ${plan.seeds.join(', ')}\``, why: 'an export trains one seed (its split and initial weights are written for it); export each seed with `--seed N`' });
    }
    if (plan.stages.length === 0) out.push({ at: plan.at, what: 'an experiment without stages', why: 'there is nothing to train' });
    return out;
}

/** `path:line:col: error: <what> cannot be exported to <target>: <why>` — the CLI's one-line format. */
export function formatRefusal(r: Refusal, target: TargetName): string {
    return `${where(r.at)}: error: ${r.what} cannot be exported to ${target}: ${r.why}`;
}

export function where(at: SpecLoc): string {
    return `${displayPath(at.file)}:${at.line}:${at.column}`;
}

/** An export that cannot go on: exit 1 with `message` (already formatted with its spec line when it has one). */
export class ExportRefused extends Error {}
