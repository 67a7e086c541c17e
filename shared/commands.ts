/**
 * The commands of the one command line: `brain-in-jar [run]` (the host and its panel), `doctor`, `plan`, `service`
 * and `self-test`. Every flag, a setting's or a run's own, names the commands that take it.
 */
export const COMMANDS = ['run', 'doctor', 'plan', 'service', 'self-test'] as const;
export type Command = (typeof COMMANDS)[number];
