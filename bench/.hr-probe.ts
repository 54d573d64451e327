import { selectBackend } from '../src/runtime/backend/select.js';
import { runtimeHeadEpochs } from './head-runtime.js';
await selectBackend('wasm', { threads: 1 });
console.log(await runtimeHeadEpochs(5000, 1280, 10, 32, 4));
