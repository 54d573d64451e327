// Names that parse but cannot mean what they seem (docs/language.md, "Names"). Any word is a
// name, keywords included, but at two spots a word keeps its keyword meaning: `backbone
// resnet18` is the zoo architecture even when an experiment is called `resnet18`, and `evaluate
// on test` is the experiment's own test split even when a dataset is called `test`. These checks
// say so where it matters instead of silently picking one reading, and reject the names that
// would collide with a fixed name of the results (`evaluate on val`, `stage train`).
import { AstUtils, type AstNodeDescription, type ValidationAcceptor } from 'langium';
import { isExperiment, type EvaluateProp, type Stage, type ZooBackbone } from '../generated/ast.js';
import type { GraftServices } from '../graft-module.js';
import { Codes, report } from './codes.js';

export class NameChecks {
    constructor(private readonly services: GraftServices) {}

    /** `backbone resnet18` while an experiment named `resnet18` exists elsewhere in the workspace. */
    checkZooShadowing = (backbone: ZooBackbone, accept: ValidationAcceptor): void => {
        if (!backbone.arch) return;
        const own = AstUtils.getContainerOfType(backbone, isExperiment);
        // Inside experiment `resnet18` itself the experiment reading is a cycle: only the architecture makes sense.
        if (own?.name === backbone.arch) return;
        const shadowed = this.declared('Experiment', backbone.arch);
        if (!shadowed) return;
        report(
            accept,
            'warning',
            Codes.ambiguousName,
            `\`backbone ${backbone.arch}\` is the zoo architecture, not experiment '${backbone.arch}' (${this.where(shadowed)}): a zoo name always means the architecture; rename that experiment to reuse its backbone`,
            { node: backbone, property: 'arch' }
        );
    };

    /** `evaluate on test` while a dataset named `test` exists; `evaluate on val`, which the results could not tell from the val split. */
    checkEvaluateName = (evaluate: EvaluateProp, accept: ValidationAcceptor): void => {
        if (evaluate.test) {
            const shadowed = this.declared('Dataset', 'test');
            if (!shadowed) return;
            report(
                accept,
                'warning',
                Codes.ambiguousName,
                `\`evaluate on test\` is this experiment's own test split, not dataset 'test' (${this.where(shadowed)}); rename that dataset to evaluate on it`,
                { node: evaluate, keyword: 'test' }
            );
            return;
        }
        if (evaluate.dataset?.$refText === 'val') {
            report(
                accept,
                'error',
                Codes.ambiguousName,
                "`evaluate on val`: the results keep the metrics of the validation split under `val`, so a dataset evaluated on cannot be called 'val'; rename the dataset",
                { node: evaluate, property: 'dataset' }
            );
        }
    };

    /** The first stage is `train` (the `train { … }` block): a stage of that name would be a second one. */
    checkStageName = (stage: Stage, accept: ValidationAcceptor): void => {
        if (stage.name !== 'train') return;
        report(
            accept,
            'error',
            Codes.duplicateName,
            'the first stage is called `train` (its settings are the `train { … }` block); give this stage another name, e.g. `stage fine_tune`',
            { node: stage, property: 'name' }
        );
    };

    private declared(type: string, name: string): AstNodeDescription | undefined {
        return this.services.shared.workspace.IndexManager.allElements(type).find((d) => d.name === name);
    }

    private where(description: AstNodeDescription): string {
        const path = description.documentUri.path;
        const line = (description.nameSegment?.range.start.line ?? 0) + 1;
        return `${path.slice(path.lastIndexOf('/') + 1)}:${line}`;
    }
}
