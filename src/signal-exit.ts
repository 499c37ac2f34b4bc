/**
 * Exit status for a stop forced by a second signal: 128 + the signal's number, as shells report it.
 * A leaf: the CLI's shutdown, the `--workers` primary and its workers all exit with it.
 */
export const SIGNAL_EXIT = { SIGTERM: 143, SIGINT: 130 } as const;
