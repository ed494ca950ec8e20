import type { Command } from 'commander';

// Placeholder: filled in by the issue that builds this part.
export function registerDiagnose(_program: Command): void {}
