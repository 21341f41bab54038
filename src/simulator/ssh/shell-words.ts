/**
 * POSIX shell word splitting with single/double quotes and backslashes, and NO expansion: `$HOME`,
 * globs and backticks stay literal. Unquoted `&&`, `||` and `;` come back as operators so a command
 * list can be run in sequence; other shell syntax (pipes, redirections, subshells) is rejected,
 * because the simulator is not a shell.
 */
export type ShellToken = { word: string } | { op: "&&" | "||" | ";" };

export class ShellSyntaxError extends Error {}

export function tokenize(line: string): ShellToken[] {
  const out: ShellToken[] = [];
  let word = "";
  let inWord = false;
  let i = 0;
  const flush = () => {
    if (inWord) out.push({ word });
    word = "";
    inWord = false;
  };
  while (i < line.length) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new ShellSyntaxError("Unterminated quoted string");
      word += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      inWord = true;
      for (;;) {
        if (i >= line.length) throw new ShellSyntaxError("Unterminated quoted string");
        const d = line[i]!;
        if (d === '"') {
          i++;
          break;
        }
        // Inside double quotes a backslash only escapes $ ` " \ and newline.
        if (d === "\\" && i + 1 < line.length && '$`"\\\n'.includes(line[i + 1]!)) {
          if (line[i + 1] !== "\n") word += line[i + 1];
          i += 2;
          continue;
        }
        word += d;
        i++;
      }
    } else if (c === "\\") {
      if (i + 1 < line.length && line[i + 1] !== "\n") word += line[i + 1];
      inWord = true;
      i += 2;
    } else if (c === " " || c === "\t" || c === "\n") {
      flush();
      i++;
    } else if (c === "&" && line[i + 1] === "&") {
      flush();
      out.push({ op: "&&" });
      i += 2;
    } else if (c === "|" && line[i + 1] === "|") {
      flush();
      out.push({ op: "||" });
      i += 2;
    } else if (c === ";") {
      flush();
      out.push({ op: ";" });
      i++;
    } else if ("|&<>()`".includes(c)) {
      throw new ShellSyntaxError(`unsupported shell syntax '${c}'`);
    } else if (c === "#" && !inWord) {
      break;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  flush();
  return out;
}

/** A command list: simple commands joined by `&&`, `||` or `;`. */
export interface CommandList {
  commands: { argv: string[]; op: "&&" | "||" | ";" | null }[];
}

export function parseCommandList(line: string): CommandList {
  const commands: CommandList["commands"] = [];
  let argv: string[] = [];
  let pendingOp: "&&" | "||" | ";" | null = null;
  for (const t of tokenize(line)) {
    if ("word" in t) {
      argv.push(t.word);
      continue;
    }
    if (argv.length === 0) throw new ShellSyntaxError(`syntax error near unexpected token \`${t.op}'`);
    commands.push({ argv, op: pendingOp });
    argv = [];
    pendingOp = t.op;
  }
  if (argv.length > 0) commands.push({ argv, op: pendingOp });
  else if (pendingOp && pendingOp !== ";") throw new ShellSyntaxError("syntax error: unexpected end of file");
  return { commands };
}

/** Single words only (no operators): how the node parses `pct exec <vmid> -- argv...`. */
export function splitWords(line: string): string[] {
  return tokenize(line).map((t) => ("word" in t ? t.word : t.op));
}
