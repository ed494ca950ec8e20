import type { Command } from 'commander';

// Placeholder: filled in by the issue that builds this part.
export function registerScanLogs(_program: Command): void {}
