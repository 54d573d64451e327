// Scaffold: the validation helper replaces this file with the real checks.
import type { GraftServices } from '../graft-module.js';

export class GraftValidator {
    constructor(protected readonly services: GraftServices) {}
}

export function registerValidationChecks(services: GraftServices): void {
    void services;
}
