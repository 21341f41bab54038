/**
 * The fake Sentry ingest (bench/lib/ingest-process.ts) as a child process: its envelopes are parsed on
 * another process's time, not the measured one's.
 */
export interface IngestChild {
  dsn: string;
  counts(): Promise<{ events: number; transactions: number }>;
  stop(): Promise<void>;
}

export async function startIngestProcess(): Promise<IngestChild> {
  const child = Bun.spawn(["bun", `${import.meta.dir}/ingest-process.ts`], { stdin: "pipe", stdout: "pipe" });
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  const nextLine = async (): Promise<string> => {
    while (!buffered.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("ingest process ended");
      buffered += value;
    }
    const i = buffered.indexOf("\n");
    const line = buffered.slice(0, i);
    buffered = buffered.slice(i + 1);
    return line;
  };
  const dsn = (await nextLine()).replace(/^dsn /, "");
  return {
    dsn,
    counts: async () => {
      child.stdin.write("counts\n");
      child.stdin.flush();
      const [, events, transactions] = (await nextLine()).split(" ");
      return { events: Number(events), transactions: Number(transactions) };
    },
    stop: async () => {
      child.stdin.end();
      await child.exited;
    },
  };
}
