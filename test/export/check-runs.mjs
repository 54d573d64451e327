// Compares, per experiment, the newest exported run (results.json with `engine`) with the newest
// local Graft run in the same runs folder: same seed and classes, |test accuracy difference| ≤
// tolerance(n), 2 processes, and each rank's share of every epoch (train) and of evaluation is
// half the data, the shares covering every sample. Exit 1 with one line per failed check.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [runs, ...experiments] = process.argv.slice(2);
/**
 * How far the two engines' test accuracies may differ on n test images: 0.05, or 0.8/√n on small
 * test sets, where one image is 1/n of accuracy. Two engines round differently and train apart
 * from the first step; on fashion_from_digits (100 test images) Graft alone gives 0.75, 0.77 and
 * 0.79 with 1 thread, WebAssembly only and 2 threads — the same recipe, a 4-image spread — so a
 * 5-image bound there would test the rounding, not the export. 8 images (0.08) at n = 100;
 * digits_transfer (1,947 test images) keeps 0.05.
 */
const tolerance = (n) => Math.max(0.05, 0.8 / Math.sqrt(n));
const WORLD = 2;
const failures = [];
const check = (ok, message) => {
    if (!ok) failures.push(message);
};

function runsOf(experiment) {
    const dir = join(runs, experiment);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
        .sort()
        .reverse()
        .map((id) => join(dir, id, 'results.json'))
        .filter((f) => existsSync(f))
        .map((f) => ({ file: f, results: JSON.parse(readFileSync(f, 'utf8')) }));
}

const half = (total) => [Math.floor(total / WORLD), Math.ceil(total / WORLD)];

for (const experiment of experiments) {
    const all = runsOf(experiment);
    const graft = all.find((r) => r.results.engine === undefined && r.results.status === 'completed');
    const torch = all.find((r) => r.results.engine !== undefined);
    if (!graft || !torch) {
        failures.push(`${experiment}: missing ${graft ? '' : 'a completed Graft run '}${torch ? '' : 'an exported (engine) run '}in ${join(runs, experiment)}`);
        continue;
    }
    const g = graft.results;
    const t = torch.results;
    check(t.status === 'completed', `${experiment}: the exported run ${t.status}${t.error ? `: ${t.error.message}` : ''} (${torch.file})`);
    check(t.seed === g.seed, `${experiment}: seeds differ (Graft ${g.seed}, torch ${t.seed})`);
    check(JSON.stringify(t.classes) === JSON.stringify(g.classes), `${experiment}: classes differ`);
    const ga = g.metrics?.test?.accuracy;
    const ta = t.metrics?.test?.accuracy;
    check(typeof ga === 'number' && typeof ta === 'number', `${experiment}: no test accuracy (Graft ${ga}, torch ${ta})`);
    const diff = Math.abs(ta - ga);
    const testImages = t.engine?.samples?.test?.total ?? 0;
    const TOLERANCE = tolerance(testImages);
    check(testImages > 0, `${experiment}: the exported run reports no test image count`);
    check(diff <= TOLERANCE, `${experiment}: test accuracy torch ${ta} vs Graft ${ga} on ${testImages} test images: |difference| ${diff.toFixed(4)} > ${TOLERANCE.toFixed(3)}`);
    const e = t.engine ?? {};
    check(e.name === 'pytorch-ddp' && e.worldSize === WORLD, `${experiment}: engine ${e.name} with ${e.worldSize} processes, expected pytorch-ddp with ${WORLD}`);
    const train = e.samples?.train;
    const total = train?.total;
    const graftTrain = JSON.parse(readFileSync(join(graft.file, '..', 'splits.json'), 'utf8'));
    const graftCount = Object.values(graftTrain.datasets)[0].counts.train;
    check(total === graftCount, `${experiment}: the exported run trained on ${total} images, Graft's on ${graftCount}`);
    const perRank = train?.perRank ?? [];
    check(perRank.length === WORLD, `${experiment}: per-rank counts for ${perRank.length} ranks, expected ${WORLD}`);
    for (const rank of perRank) {
        for (const [stage, epochs] of Object.entries(rank.stages)) {
            epochs.forEach((ep, i) => {
                check(half(total).includes(ep.samples) && ep.distinct === ep.samples, `${experiment}: rank ${rank.rank}, stage ${stage}, epoch ${i + 1}: ${ep.samples} samples (${ep.distinct} distinct) of ${total}, expected half`);
                if (i === 0) check(ep.coveredByAllRanks === total, `${experiment}: stage ${stage}: the ranks together covered ${ep.coveredByAllRanks} of ${total} samples`);
            });
        }
    }
    for (const split of ['val', 'test']) {
        const s = e.samples?.[split];
        if (!s) continue;
        check(s.perRank.length === WORLD && s.perRank.every((n) => half(s.total).includes(n)) && s.perRank.reduce((a, b) => a + b, 0) === s.total, `${experiment}: ${split} evaluated as ${JSON.stringify(s.perRank)} of ${s.total}, expected halves`);
    }
    console.log(`${experiment} (seed ${t.seed}): test accuracy Graft ${ga.toFixed(4)} vs torchrun ×${WORLD} ${ta.toFixed(4)} (|Δ| ${diff.toFixed(4)} ≤ ${TOLERANCE.toFixed(3)} on ${testImages} test images); train ${total} images, per rank per epoch ${perRank.map((r) => Object.values(r.stages)[0][0].samples).join(' + ')}; test per rank ${JSON.stringify(e.samples?.test?.perRank)}`);
}

if (failures.length) {
    for (const f of failures) console.error(`test:export: ${f}`);
    process.exit(1);
}
