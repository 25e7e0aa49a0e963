// NDJSON lines from a fetch body: chunk boundaries, multibyte characters, blank lines, bad lines.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readNdjson } from './ndjson.js';

function body(chunks: (string | Uint8Array)[], onCancel?: () => void): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[i++];
      if (chunk === undefined) return controller.close();
      controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
    },
    cancel: onCancel,
  });
}

async function all(stream: ReadableStream<Uint8Array>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const value of readNdjson(stream, 'GET /v1/tasks')) out.push(value);
  return out;
}

describe('readNdjson', () => {
  const rows: { name: string; chunks: (string | Uint8Array)[]; expected: unknown[] }[] = [
    { name: 'one line per chunk', chunks: ['{"a":1}\n', '{"a":2}\n'], expected: [{ a: 1 }, { a: 2 }] },
    {
      name: 'a line split over chunks',
      chunks: ['{"a":', '1}\n{"b"', ':2}\n'],
      expected: [{ a: 1 }, { b: 2 }],
    },
    { name: 'blank lines and CRLF are skipped', chunks: ['\n{"a":1}\r\n\n  \n'], expected: [{ a: 1 }] },
    { name: 'a last line without newline', chunks: ['{"a":1}\n{"a":2}'], expected: [{ a: 1 }, { a: 2 }] },
    { name: 'keep-alive lines come through as {}', chunks: ['{}\n{}\n'], expected: [{}, {}] },
    {
      name: 'a multibyte character split between chunks',
      // "é" is 0xC3 0xA9; "→" is 0xE2 0x86 0x92
      chunks: [
        new Uint8Array([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xc3]),
        new Uint8Array([0xa9, 0xe2, 0x86]),
        new Uint8Array([0x92, 0x22, 0x7d, 0x0a]),
      ],
      expected: [{ n: 'é→' }],
    },
    { name: 'no lines at all', chunks: [], expected: [] },
  ];
  for (const row of rows) {
    it(row.name, async () => assert.deepEqual(await all(body(row.chunks)), row.expected));
  }

  it('a line that is not JSON fails, naming the request and quoting the line', async () => {
    await assert.rejects(all(body(['{"a":1}\n<html>oops</html>\n'])), (e: Error) => {
      assert.match(e.message, /^GET \/v1\/tasks: a line is not JSON \(.+\): <html>oops<\/html>$/);
      return true;
    });
  });

  it('leaving early cancels the download', async () => {
    let cancelled = false;
    for await (const value of readNdjson(
      body(['{"a":1}\n', '{"a":2}\n'], () => {
        cancelled = true;
      }),
      'x',
    )) {
      assert.deepEqual(value, { a: 1 });
      break;
    }
    assert.equal(cancelled, true);
  });
});
