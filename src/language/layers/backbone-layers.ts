// Scaffold: replaced by the real resolver (zoo catalog, model.json on disk, experiment backbones).
import type { GraftServices } from '../graft-module.js';

export class BackboneLayers {
    constructor(protected readonly services: GraftServices) {}
}
