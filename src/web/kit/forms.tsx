/**
 * Forms: errors beside their fields, from the API's own validation. A service (or a schema) throws an
 * AppError whose `details` name each field (`{field: "resources.memory_mb", message}`); a form's inputs
 * carry those same names, so the details land beside their inputs without any translation. An error
 * without details (a conflict, a refusal) is shown at the top of the form (`form`).
 */
import type { z } from "@hono/zod-openapi";
import type { Child, FC, JSX, PropsWithChildren } from "hono/jsx";
import { AppError, type ErrorDetail, ValidationError } from "../../core/errors.ts";
import { zodDetails } from "../../http/openapi.ts";
import { Csrf } from "./components.tsx";
import { toast, type WebContext } from "./request.tsx";

/** Messages by input name; `form` is the form's own (top) message. */
export type FieldErrors = Record<string, string>;

/**
 * What every form component takes: the CSRF token, the errors to show (`{}` the first time), and what was
 * typed, by field name, when it comes back with errors.
 */
export interface FormProps {
  csrf: string;
  errors: FieldErrors;
  values?: Record<string, string>;
}

/** Codes that are about what was submitted, and so belong on the form rather than in a toast. */
const FORM_CODES = new Set(["VALIDATION_FAILED", "CONFLICT"]);

/** The field errors an error carries, or undefined when it is not about the submitted input. */
export function fieldErrorsOf(err: unknown): FieldErrors | undefined {
  if (!(err instanceof AppError) || !FORM_CODES.has(err.code)) return undefined;
  const out: FieldErrors = {};
  for (const d of err.details ?? []) out[d.field] ??= d.message;
  if (Object.keys(out).length === 0) out.form = err.message;
  return out;
}

/** Parses `input` with the API's schema; a failure is the API's ValidationError, details and all. */
export function parsed<T extends z.ZodType>(schema: T, input: unknown, message: string): z.infer<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationError(message, zodDetails(result.error));
  return result.data;
}

/**
 * A whole number typed into a form, for a schema that expects a number: "" is left out (undefined), and
 * text that is not a number is kept as it is, so the schema names the field ("must be a whole number").
 */
export function formNumber(value: string | undefined): number | string | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : value;
}

/**
 * Runs a form's action; when it fails on the input, answers with the form again (its values kept, each
 * error beside its field) and the error's status. Anything else goes to the error handler (a toast).
 */
export async function submitForm(
  c: WebContext,
  action: () => Promise<Response>,
  again: (errors: FieldErrors) => unknown,
): Promise<Response> {
  try {
    return await action();
  } catch (err) {
    const errors = fieldErrorsOf(err);
    if (!errors) throw err;
    return c.html(String(await again(errors)), (err as AppError).status as 422);
  }
}

/** The id of a field's message (input names may hold dots: "resources.cores"). */
export function messageId(name: string): string {
  return `${name.replace(/[^A-Za-z0-9_-]/g, "-")}-error`;
}

/** aria attributes of an input: invalid when its field has an error, described by the error or the help. */
export function fieldAria(errors: FieldErrors, name: string, helpId?: string) {
  return {
    "aria-invalid": errors[name] ? ("true" as const) : undefined,
    "aria-describedby": errors[name] ? messageId(name) : helpId,
  };
}

/** The error beside a field, or its help text when there is none. */
export const FieldMessage: FC<{ errors: FieldErrors; name: string; help?: string; helpId?: string }> = ({
  errors,
  name,
  help,
  helpId,
}) =>
  errors[name] ? (
    <small id={messageId(name)} class="field-error">
      {errors[name]}
    </small>
  ) : help ? (
    <small id={helpId}>{help}</small>
  ) : null;

/** The id a field's help text goes by: `helpId`, else `<name>-help`; none without help. */
function helpIdOf(name: string, help: string | undefined, helpId: string | undefined): string | undefined {
  return help ? (helpId ?? `${name.replace(/\W/g, "-")}-help`) : undefined;
}

/** What every labelled field takes: the label, the API's field name, the form's errors, and its help. */
interface FieldProps {
  label: Child;
  name: string;
  errors: FieldErrors;
  help?: string | undefined;
  helpId?: string | undefined;
}

/**
 * A labelled input with its error (or its help) beside it, tied to it for screen readers: the field every
 * form repeats. `name` is the API's field name; `help` is described by `helpId` (default `<name>-help`);
 * every other attribute goes to the input as given.
 */
export const InputField: FC<FieldProps & Omit<JSX.IntrinsicElements["input"], "name">> = ({
  label,
  name,
  errors,
  help,
  helpId,
  ...input
}) => {
  const described = helpIdOf(name, help, helpId);
  return (
    <label>
      {label}
      <input name={name} {...input} {...fieldAria(errors, name, described)} />
      <FieldMessage errors={errors} name={name} helpId={described} help={help} />
    </label>
  );
};

/**
 * A labelled select, like InputField: `options` as [value, label] pairs with `value` the selected one, or
 * the `<option>`s as children (when some are conditional or disabled).
 */
export const SelectField: FC<
  PropsWithChildren<
    FieldProps & {
      options?: readonly (readonly [value: string, label: Child])[];
      value?: string | undefined;
    } & Omit<JSX.IntrinsicElements["select"], "name">
  >
> = ({ label, name, errors, help, helpId, options, value, children, ...select }) => {
  const described = helpIdOf(name, help, helpId);
  return (
    <label>
      {label}
      <select name={name} {...select} {...fieldAria(errors, name, described)}>
        {options?.map(([v, text]) => (
          <option value={v} selected={v === value}>
            {text}
          </option>
        ))}
        {children}
      </select>
      <FieldMessage errors={errors} name={name} helpId={described} help={help} />
    </label>
  );
};

/**
 * A form that htmx sends and swaps for its answer (the fresh form, or the same one with each error beside
 * its field), the CSRF field and the form's own message first. The request (`hx-post`, `hx-put`,
 * `hx-patch`) and any other attribute go to the form as given.
 */
export const SwapForm: FC<PropsWithChildren<Omit<FormProps, "values"> & JSX.IntrinsicElements["form"]>> = ({
  csrf,
  errors,
  children,
  ...form
}) => (
  <form {...form} hx-target="this" hx-swap="outerHTML" novalidate>
    <Csrf token={csrf} />
    <FormMessage errors={errors} />
    {children}
  </form>
);

/** The form's own message (an error no field owns), at its top. */
export const FormMessage: FC<{ errors: FieldErrors }> = ({ errors }) =>
  errors.form ? (
    <p class="reason" role="alert" data-form-error>
      {errors.form}
    </p>
  ) : null;

/** A new password typed twice: the detail for the second field when they differ. */
export function confirmation(f: Record<string, string>, name: string): ErrorDetail[] {
  const given = f[`${name}_confirm`];
  return given !== undefined && given !== f[name]
    ? [{ field: `${name}_confirm`, message: "does not match the password above" }]
    : [];
}

/**
 * Like `parsed`, with more details found by the form itself (a confirmation that differs): every problem
 * is reported at once.
 */
export function parsedWith<T extends z.ZodType>(
  schema: T,
  input: unknown,
  message: string,
  more: ErrorDetail[],
): z.infer<T> {
  const result = schema.safeParse(input);
  const details = [...(result.success ? [] : zodDetails(result.error)), ...more];
  if (details.length) throw new ValidationError(message, details);
  return result.data as z.infer<T>;
}

/** A form saved: the form again (fresh) and a confirmation toast. */
export function savedForm(
  c: WebContext,
  form: Child,
  message: string,
  status: 200 | 202 = 200,
): Response | Promise<Response> {
  return toast(c, message, status, form);
}

const RESOURCES = ["cores", "memory_mb", "disk_gb"] as const;
type Resource = (typeof RESOURCES)[number];

/** The resources typed into a form (`resources.cores` …), as the API's partial resources. */
export function formResources(f: Record<string, string>) {
  return Object.fromEntries(
    RESOURCES.map((k) => [k, formNumber(f[`resources.${k}`])] as const).filter(([, v]) => v !== undefined),
  );
}

/** Each resource input: its label, the unit its "At least" hint names, and its steps. */
const RESOURCE_INPUTS: Record<Resource, { label: string; unit: string; max?: number; step?: number }> = {
  cores: { label: "CPU cores", unit: "", max: 128 },
  memory_mb: { label: "Memory (MiB)", unit: " MiB", step: 128 },
  disk_gb: { label: "Disk (GiB)", unit: " GiB" },
};

/**
 * The three resource inputs side by side, named as `formResources` reads them: what was typed (`values`,
 * by field name) or else the `stored` value, none below its `min`. `atLeast` says the minimum under each
 * (the install form, whose minimums are the entry's); the resize form's disk can only grow (`growOnly`).
 */
export const ResourceFields: FC<{
  errors: FieldErrors;
  values?: Record<string, string>;
  stored: Record<Resource, number | string>;
  min: Record<Resource, number>;
  atLeast?: boolean;
  growOnly?: boolean;
  disabled?: boolean;
}> = ({ errors, values = {}, stored, min, atLeast, growOnly, disabled }) => (
  <fieldset class="grid" disabled={disabled}>
    {RESOURCES.map((k) => {
      const { label, unit, max, step } = RESOURCE_INPUTS[k];
      return (
        <InputField
          label={growOnly && k === "disk_gb" ? "Disk (GiB, can only grow)" : label}
          name={`resources.${k}`}
          errors={errors}
          type="number"
          min={min[k]}
          max={max}
          step={step}
          value={values[`resources.${k}`] ?? String(stored[k])}
          help={atLeast ? `At least ${min[k]}${unit}` : undefined}
        />
      );
    })}
  </fieldset>
);
