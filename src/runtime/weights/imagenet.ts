// Where the published ImageNet weights of each zoo architecture live. MobileNet v1 and v2 have
// tfjs layers conversions published by Google (tfjs-models; Teachable Machine for v2 without its
// top); the others, and MobileNetV2 α1.3/1.4, come from the Keras applications' .h5 files, which
// Keras checks by md5. All are read without their classifier top and copied by layer name.

import type { ZooArch } from '../../core/zoo/catalog-types.js';
import { WeightsError } from './download.js';

export type ImagenetSource =
    | { format: 'tfjs'; url: string }
    | { format: 'h5'; url: string; md5?: string };

const KERAS = 'https://storage.googleapis.com/tensorflow/keras-applications';

/** Formats an alpha as Python's str(float(alpha)) does: 1 → "1.0", 0.35 → "0.35". */
function pythonFloat(alpha: number): string {
    return Number.isInteger(alpha) ? alpha.toFixed(1) : String(alpha);
}

export function imagenetSource(arch: ZooArch, alpha?: number): ImagenetSource {
    switch (arch) {
        case 'mobilenet_v1': {
            const a = alpha ?? 1;
            // tfjs-models publishes mobilenet_v1_{0.25,0.50,0.75,1.0}_224 as layers models.
            const text = a === 1 ? '1.0' : a.toFixed(2);
            return { format: 'tfjs', url: `https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_${text}_224/model.json` };
        }
        case 'mobilenet_v2': {
            const a = alpha ?? 1;
            if ([0.35, 0.5, 0.75, 1].includes(a)) {
                return {
                    format: 'tfjs',
                    url: `https://storage.googleapis.com/teachable-machine-models/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_${a.toFixed(2)}_224_no_top/model.json`
                };
            }
            return { format: 'h5', url: `${KERAS}/mobilenet_v2/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_${pythonFloat(a)}_224_no_top.h5` };
        }
        case 'resnet50':
            return { format: 'h5', url: `${KERAS}/resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5`, md5: '4d473c1dd8becc155b73f8504c6f6626' };
        case 'vgg16':
            return { format: 'h5', url: `${KERAS}/vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5`, md5: '6d6bbae143d832006294945121d1f1fc' };
        case 'resnet18':
        case 'small_cnn':
            throw new WeightsError(`${arch} has no published ImageNet weights (Keras applications do not ship it); use weights none or a model.json`);
    }
}
