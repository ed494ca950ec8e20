/**
 * Exit codes shared by every subcommand: nothing found, something found, bad usage or input; and
 * for a fix: refused by its checks (nothing written), or failed (the message says what is in place).
 */
export const EXIT = { clean: 0, found: 1, usage: 2, refused: 3, failed: 4 } as const;
