// Listening TCP ports of the workspace, read from /proc/net/tcp and /proc/net/tcp6 (state 0A = LISTEN).
import { readFile } from 'node:fs/promises';
import { endianness } from 'node:os';

export interface ListeningPort {
  port: number;
  address: string;
}

const LISTEN = '0A';

/** Parses the text of /proc/net/tcp or /proc/net/tcp6 into the sockets in LISTEN state. */
export function parseProcNetTcp(text: string, littleEndian = endianness() === 'LE'): ListeningPort[] {
  const out: ListeningPort[] = [];
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    // sl local_address rem_address st …; the header line has "local_address" in column 1
    const local = cols[1];
    if (!local || cols[3] !== LISTEN) continue;
    const [hexAddr, hexPort] = local.split(':');
    if (!hexAddr || !hexPort || !/^[0-9A-Fa-f]+$/.test(hexAddr + hexPort)) continue;
    const address = hexAddr.length === 8 ? ipv4(hexAddr, littleEndian) : ipv6(hexAddr, littleEndian);
    if (address) out.push({ port: Number.parseInt(hexPort, 16), address });
  }
  return out;
}

/** The kernel prints each 32-bit word of the address in host byte order. */
function wordBytes(hex8: string, littleEndian: boolean): number[] {
  const bytes = [0, 2, 4, 6].map((i) => Number.parseInt(hex8.slice(i, i + 2), 16));
  return littleEndian ? bytes.reverse() : bytes;
}

function ipv4(hex: string, littleEndian: boolean): string {
  return wordBytes(hex, littleEndian).join('.');
}

function ipv6(hex: string, littleEndian: boolean): string | undefined {
  if (hex.length !== 32) return undefined;
  const bytes = [0, 8, 16, 24].flatMap((i) => wordBytes(hex.slice(i, i + 8), littleEndian));
  const isMapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (isMapped) return `::ffff:${bytes.slice(12).join('.')}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  return compressIpv6(groups);
}

/** RFC 5952: the longest run (≥ 2) of zero groups becomes "::". */
function compressIpv6(groups: number[]): string {
  let best = { start: -1, len: 0 };
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > best.len && j - i >= 2) best = { start: i, len: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.start < 0) return hex.join(':');
  const head = hex.slice(0, best.start).join(':');
  const tail = hex.slice(best.start + best.len).join(':');
  return `${head}::${tail}`;
}

const WILDCARDS = new Set(['0.0.0.0', '::']);

/**
 * One entry per port, sorted by port, without `exclude`. When a port listens on several addresses,
 * the wildcard one is shown (it says the most about who can reach it).
 */
export function mergeListening(lists: ListeningPort[][], exclude: readonly number[] = []): ListeningPort[] {
  const byPort = new Map<number, ListeningPort>();
  for (const p of lists.flat()) {
    if (exclude.includes(p.port)) continue;
    const seen = byPort.get(p.port);
    if (!seen || (!WILDCARDS.has(seen.address) && WILDCARDS.has(p.address))) byPort.set(p.port, p);
  }
  return [...byPort.values()].sort((a, b) => a.port - b.port);
}

/** Reads the listening ports of this network namespace; a missing table (no IPv6) counts as empty. */
export async function listeningPorts(
  exclude: readonly number[],
  procNet = '/proc/net',
): Promise<ListeningPort[]> {
  const read = async (name: string) => {
    try {
      return parseProcNetTcp(await readFile(`${procNet}/${name}`, 'utf8'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []; // kernel without IPv6
      throw e;
    }
  };
  return mergeListening([await read('tcp'), await read('tcp6')], exclude);
}
