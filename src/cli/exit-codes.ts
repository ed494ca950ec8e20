/** Exit codes shared by every subcommand: nothing found, something found, bad usage or input. */
export const EXIT = { clean: 0, found: 1, usage: 2 } as const;
