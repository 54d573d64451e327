// The task of a dataset, on its own so the registries (metrics) can name it without importing the
// whole plan (which imports them).
export type Task = 'single_label' | 'multi_label';
