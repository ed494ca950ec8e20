import { UsageError } from '../errors.js';

/** An input that cannot be read, named with what is wrong with it (exit code 2 on the CLI). */
export class InputError extends UsageError {
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`${path === '-' ? 'standard input' : path}: ${problem}`);
  }
}

const PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory, not a log file',
  ELOOP: 'too many symbolic links',
  ENOTDIR: 'a part of the path is not a directory',
  Z_DATA_ERROR: 'corrupt gzip data',
  Z_BUF_ERROR: 'truncated gzip data',
};

export function inputError(path: string, error: unknown): InputError {
  if (error instanceof InputError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const problem =
    typeof code === 'string' && PROBLEMS[code]
      ? PROBLEMS[code]
      : error instanceof Error
        ? error.message
        : String(error);
  return new InputError(path, problem);
}
