// Public API of the data pipeline (issue 3). The training code needs only this module:
//
//   const ds = await loadDataset(plan.data, { seed: plan.seed, warn });
//   for (let epoch = 0; epoch < epochs; epoch++)
//       for await (const b of ds.batches('train', { batchSize, epoch })) { …; b.dispose(); }
//   const val = await ds.arrays('val');          // whole split, unaugmented
//   await writeSplitsJson(runDir, ds);           // audit trail
//   results.skipped = ds.skipped;                // [{file, reason}]
//   await ds.close();                            // removes the disk cache, if any

export { loadDataset, type LoadOptions } from './load.js';
export { Dataset, writeSplitsJson, type Batch, type BatchOptions, type SplitArrays, type SplitsRecord, type SplitSelector } from './dataset.js';
export { DataError, type SkippedFile, type WarnFn } from './errors.js';
export type { LabelSpace } from './labels.js';
export type { CacheOptions } from './cache.js';
export { defaultMemoryBudget } from './cache.js';
export { augmentUnitBatch, drawTransform } from './augment.js';
export { affineFor as normalizationOf, affineInto, normalizeUnitTensor } from './normalize.js';
export { IMAGE_EXTENSIONS, isIgnorable, checkImageFile } from './sources/image-files.js';
export { mapLimit, defaultConcurrency } from './concurrency.js';
export { describeError } from './errors.js';
export { inverseFrequencyWeights } from './balance.js';
export { mulberry32, mixSeed } from './prng.js';
export { decodeSample, type ImageShape } from './decode.js';
