/** What an app's address answers: the HTTP status, or the error's name (e.g. no listener, timeout). */
export async function httpStatus(url: string): Promise<number | string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.text();
    return res.status;
  } catch (e) {
    return (e as Error).name;
  }
}
