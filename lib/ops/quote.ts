/**
 * One argument for a POSIX shell (the remote login shell of an SSH exec): single-quoted, with
 * each `'` written as `'\''`. Inside single quotes nothing is special, so `$(id)`, backticks,
 * `;`, newlines and globs stay literal. The catalog's alphabets already exclude all of them;
 * quoting is the second wall, not the first.
 */
export function shellQuote(arg: string): string {
  if (arg.includes("\0")) throw new Error("an argument cannot hold a NUL character");
  if (/^[A-Za-z0-9_./=:@%+,-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function shellCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error("empty command");
  return argv.map(shellQuote).join(" ");
}
