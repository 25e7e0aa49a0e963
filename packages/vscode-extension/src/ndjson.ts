// Reads newline-delimited JSON (the supervisor's `?observe=true` and notification streams) from a fetch body.

/**
 * Yields each line of `body` parsed as JSON, in order; blank lines are skipped. A multibyte
 * character split across chunks survives (streaming decoder). A line that is not JSON throws,
 * naming `what` and quoting the start of the line.
 */
export async function* readNdjson(body: ReadableStream<Uint8Array>, what: string): AsyncGenerator<unknown> {
  const decoder = new TextDecoder('utf-8');
  const reader = body.getReader();
  let pending = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      pending += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let newline = pending.indexOf('\n');
      while (newline !== -1) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (line.trim() !== '') yield parseLine(line, what);
        newline = pending.indexOf('\n');
      }
      if (done) break;
    }
    if (pending.trim() !== '') yield parseLine(pending, what);
  } finally {
    // stops the download when the consumer leaves early (break, throw, abort)
    await reader.cancel().catch(() => undefined); // the stream may already be closed or errored: nothing to release
  }
}

function parseLine(line: string, what: string): unknown {
  try {
    return JSON.parse(line);
  } catch (e) {
    const head = line.length > 80 ? `${line.slice(0, 80)}…` : line;
    throw new Error(`${what}: a line is not JSON (${(e as Error).message}): ${head}`);
  }
}
