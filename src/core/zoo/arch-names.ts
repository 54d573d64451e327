// The names of the zoo architectures, as plain data: the plan's types (and the published JSON
// Schema of plan.json) use this list; each name has its entry in the registry (catalog.ts), which
// the compiler checks is complete.
export const ZOO_ARCHS = ['small_cnn', 'mobilenet_v1', 'mobilenet_v2', 'resnet18', 'resnet50', 'vgg16'] as const;

export type ZooArch = (typeof ZOO_ARCHS)[number];
