/**
 * Building the `pct exec` command line that the node's shell (POSIX sh, via sshd) parses. The line is
 * made only of fixed words, an integer vmid, and argv elements each wrapped in single quotes, inside
 * which sh interprets nothing. User data never goes here: it travels on stdin.
 */

/** Single-quotes for POSIX sh: 'it'\''s' — the only character that needs care inside '…' is ' itself. */
export function shQuote(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

const MAX_ARG_LENGTH = 4096;

/**
 * argv elements are tokens (paths, flags, package names), not data: NUL cannot travel through exec,
 * and a newline in a command line is a sign that data leaked into it.
 */
function assertArgToken(arg: string, index: number): void {
  if (typeof arg !== "string") throw new TypeError(`argv[${index}] is not a string`);
  if (/[\0\n\r]/.test(arg)) throw new TypeError(`argv[${index}] contains NUL or a line break`);
  if (arg.length > MAX_ARG_LENGTH) throw new TypeError(`argv[${index}] is longer than ${MAX_ARG_LENGTH}`);
}

function assertExecVmid(vmid: number): number {
  if (!Number.isInteger(vmid) || vmid < 100 || vmid > 999_999_999) {
    throw new TypeError("vmid must be an integer in 100..999999999");
  }
  return vmid;
}

/**
 * `--keep-env 0`: the container gets a clean environment, not the SSH session's (pct still defaults to
 * keeping it, with a FIXME to change that). `sudo -n` for a non-root login: pct refuses anyone but root
 * ("please run as root"), and -n fails at once instead of waiting for a password prompt.
 */
export function buildPctExecCommand(
  vmid: number,
  argv: readonly string[],
  options: { sudo?: boolean } = {},
): string {
  assertExecVmid(vmid);
  if (argv.length === 0) throw new TypeError("argv must not be empty");
  argv.forEach(assertArgToken);
  return `${options.sudo ? "sudo -n " : ""}pct exec ${vmid} --keep-env 0 -- ${argv.map(shQuote).join(" ")}`;
}

/**
 * A short, secret-free label for metrics and breadcrumbs: the program and, when it looks like a
 * subcommand word, the next argument ("docker compose", "apt-get install", "tee").
 */
export function commandLabel(argv: readonly string[]): string {
  const program = (argv[0] ?? "").split("/").pop() ?? "";
  const sub = argv[1];
  return sub && /^[a-z][a-z0-9-]{0,19}$/.test(sub) ? `${program} ${sub}` : program;
}
