/** One bounded POST for the HTTP channel kinds: a timeout, the target checked first, failures classified. */
import { hostProblem } from "../../../core/outbound.ts";
import { DeliveryError } from "./message.ts";

export const SEND_TIMEOUT_MS = 10_000;

export async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs = SEND_TIMEOUT_MS,
): Promise<void> {
  const target = new URL(url);
  const problem = await hostProblem(target.hostname);
  if (problem) throw new DeliveryError(`Refused: ${problem}`, false);
  let res: Response;
  try {
    res = await fetch(target, {
      method: "POST",
      body,
      headers,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    throw new DeliveryError(
      timedOut
        ? `${target.host} did not answer within ${timeoutMs / 1000} s`
        : `${target.host}: ${err instanceof Error ? err.message : String(err)}`,
      true,
    );
  }
  const text = (await res.text().catch(() => "")).slice(0, 200).trim();
  if (res.ok) return;
  throw new DeliveryError(
    `${target.host} answered HTTP ${res.status}${text ? `: ${text}` : ""}`,
    res.status >= 500 || res.status === 429 || res.status === 408,
  );
}
