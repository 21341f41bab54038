/**
 * The words of a validation failure, for people: zod's defaults ("Too small: expected string to have
 * >=1 characters", "expected number, received NaN") become "is required", "must be a number". A schema's own
 * message always wins; this only replaces zod's generic ones. Installed once, for every schema in the
 * process (the API's details and the web forms show the same text).
 */
import { z } from "zod";

type Issue = Parameters<NonNullable<NonNullable<Parameters<typeof z.config>[0]>["customError"]>>[0];

function count(n: number | bigint, one: string): string {
  return `${n} ${one}${Number(n) === 1 ? "" : "s"}`;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "number" && Number.isNaN(value)) return "text";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

function humanMessage(issue: Issue): string | undefined {
  const i = issue as Issue & Record<string, unknown>;
  switch (issue.code) {
    case "invalid_type": {
      if (i.input === undefined) return "is required";
      const expected = String(i.expected);
      if (expected === "int") return "must be a whole number";
      if (expected === "number") return "must be a number";
      if (expected === "string") return "must be text";
      if (expected === "boolean") return "must be true or false";
      if (expected === "array") return "must be a list";
      if (expected === "object") return "must be an object";
      return `must be ${expected}, not ${describe(i.input)}`;
    }
    case "too_small": {
      const min = i.minimum as number;
      if (i.origin === "string")
        return Number(min) <= 1 ? "is required" : `must be at least ${count(min, "character")}`;
      if (i.origin === "array" || i.origin === "set") return `must have at least ${count(min, "item")}`;
      return i.inclusive === false ? `must be more than ${min}` : `must be at least ${min}`;
    }
    case "too_big": {
      const max = i.maximum as number;
      if (i.origin === "string") return `must be at most ${count(max, "character")}`;
      if (i.origin === "array" || i.origin === "set") return `must have at most ${count(max, "item")}`;
      return i.inclusive === false ? `must be less than ${max}` : `must be at most ${max}`;
    }
    case "invalid_format": {
      const format = String(i.format);
      if (format === "uuid" || format === "guid") return "must be an id (UUID)";
      if (format === "email") return "must be an email address";
      if (format === "url") return "must be a URL";
      if (format === "ipv4" || format === "ipv6") return "must be an IP address";
      if (format === "datetime" || format === "date") return "must be a date";
      return undefined;
    }
    case "invalid_value": {
      if (i.input === undefined) return "is required";
      const values = (i.values as unknown[] | undefined) ?? [];
      return values.length ? `must be one of ${values.map(String).join(", ")}` : undefined;
    }
    case "not_multiple_of":
      return `must be a multiple of ${String(i.divisor)}`;
    case "unrecognized_keys":
      return `unknown field${(i.keys as string[]).length === 1 ? "" : "s"}: ${(i.keys as string[]).join(", ")}`;
    default:
      return undefined;
  }
}

z.config({ customError: (issue) => humanMessage(issue) });
