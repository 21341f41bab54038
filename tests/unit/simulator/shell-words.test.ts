import { describe, expect, test } from "bun:test";
import { parseCommandList, ShellSyntaxError, splitWords } from "../../../src/simulator/ssh/shell-words.ts";

describe("shell words (POSIX quoting, no expansion)", () => {
  test("single quotes, the '\\'' idiom, double quotes and backslashes", () => {
    expect(splitWords(`pct exec 100 -- 'tee' '/opt/it'\\''s here'`)).toEqual([
      "pct",
      "exec",
      "100",
      "--",
      "tee",
      "/opt/it's here",
    ]);
    expect(splitWords(`echo "a \\"b\\" \\$c" d\\ e`)).toEqual(["echo", 'a "b" $c', "d e"]);
    expect(splitWords(`echo $HOME * \`x\`y`.replace("`x`", "x"))).toEqual(["echo", "$HOME", "*", "xy"]);
    expect(splitWords(`a '' b`)).toEqual(["a", "", "b"]);
  });

  test("&&, || and ; separate commands; pipes and redirections are refused", () => {
    expect(parseCommandList("a && b || c; d").commands).toEqual([
      { argv: ["a"], op: null },
      { argv: ["b"], op: "&&" },
      { argv: ["c"], op: "||" },
      { argv: ["d"], op: ";" },
    ]);
    expect(parseCommandList("'a && b'").commands).toEqual([{ argv: ["a && b"], op: null }]);
    expect(() => parseCommandList("cat x | sh")).toThrow(ShellSyntaxError);
    expect(() => parseCommandList("echo x > /etc/passwd")).toThrow(ShellSyntaxError);
    expect(() => parseCommandList("echo 'open")).toThrow("Unterminated quoted string");
  });
});
