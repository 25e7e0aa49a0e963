// RFC 2136 dynamic DNS updates signed with TSIG (RFC 8945): adds and deletes the TXT records of
// ACME DNS-01 challenges on an authoritative server (BIND, Knot, PowerDNS...). Messages go over TCP
// (RFC 7766), so no answer is lost or cut; the server's answer is checked, its TSIG included.
import { createHmac, timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import { AppError } from '@atelier/protocol';

export interface TsigKey {
  /** the key's name as the server knows it, e.g. atelier-acme */
  name: string;
  algorithm: 'hmac-sha256' | 'hmac-sha512';
  /** base64 */
  secret: string;
}

export interface DnsUpdateTarget {
  /** host:port of the authoritative server */
  server: string;
  /** the zone the names are in, e.g. example.com */
  zone: string;
  key: TsigKey;
  timeoutMs?: number;
}

const TYPE_SOA = 6;
const TYPE_TXT = 16;
const TYPE_TSIG = 250;
const CLASS_IN = 1;
const CLASS_NONE = 254;
const CLASS_ANY = 255;
const OPCODE_UPDATE = 5;
const FUDGE_S = 300;
const RCODES: Record<number, string> = {
  1: 'FORMERR',
  2: 'SERVFAIL',
  3: 'NXDOMAIN',
  4: 'NOTIMP',
  5: 'REFUSED',
  6: 'YXDOMAIN',
  7: 'YXRRSET',
  8: 'NXRRSET',
  9: 'NOTAUTH',
  10: 'NOTZONE',
};
const TSIG_ERRORS: Record<number, string> = { 16: 'BADSIG', 17: 'BADKEY', 18: 'BADTIME', 22: 'BADTRUNC' };

/** A domain name in wire format (lower case, as TSIG's canonical form wants). */
export function encodeName(name: string): Buffer {
  const labels = name.replace(/\.$/, '').toLowerCase().split('.').filter(Boolean);
  const parts: Buffer[] = [];
  for (const label of labels) {
    const bytes = Buffer.from(label, 'ascii');
    if (bytes.length > 63)
      throw new AppError('invalid_argument', `DNS label "${label}" is longer than 63 bytes`);
    parts.push(Buffer.of(bytes.length), bytes);
  }
  parts.push(Buffer.of(0));
  return Buffer.concat(parts);
}

const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const u48 = (n: number) => {
  const b = Buffer.alloc(6);
  b.writeUIntBE(n, 0, 6);
  return b;
};

function rr(name: string, type: number, klass: number, ttl: number, rdata: Buffer): Buffer {
  return Buffer.concat([encodeName(name), u16(type), u16(klass), u32(ttl), u16(rdata.length), rdata]);
}

/** TXT rdata: the value in character-strings of at most 255 bytes. */
function txtData(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length || at === 0; at += 255) {
    const piece = bytes.subarray(at, at + 255);
    parts.push(Buffer.of(piece.length), piece);
    if (bytes.length === 0) break;
  }
  return Buffer.concat(parts);
}

/** The TSIG variables of RFC 8945 §4.3.3, digested after the message. */
function tsigVariables(key: TsigKey, timeSigned: number, error = 0, other = Buffer.alloc(0)): Buffer {
  return Buffer.concat([
    encodeName(key.name),
    u16(CLASS_ANY),
    u32(0),
    encodeName(key.algorithm),
    u48(timeSigned),
    u16(FUDGE_S),
    u16(error),
    u16(other.length),
    other,
  ]);
}

function mac(key: TsigKey, ...parts: Buffer[]): Buffer {
  const hmac = createHmac(
    key.algorithm === 'hmac-sha512' ? 'sha512' : 'sha256',
    Buffer.from(key.secret, 'base64'),
  );
  for (const p of parts) hmac.update(p);
  return hmac.digest();
}

/** Builds the signed UPDATE message; returns it and its MAC (to check the answer's). */
export function buildUpdate(
  target: DnsUpdateTarget,
  change: { op: 'add' | 'delete'; name: string; value: string; ttl?: number },
  id: number,
  now: Date = new Date(),
): { message: Buffer; requestMac: Buffer } {
  const header = Buffer.concat([
    u16(id),
    u16(OPCODE_UPDATE << 11),
    u16(1), // zone
    u16(0), // prerequisites
    u16(1), // updates
    u16(0), // additional (TSIG added below)
  ]);
  const zone = Buffer.concat([encodeName(target.zone), u16(TYPE_SOA), u16(CLASS_IN)]);
  const update =
    change.op === 'add'
      ? rr(change.name, TYPE_TXT, CLASS_IN, change.ttl ?? 60, txtData(change.value))
      : rr(change.name, TYPE_TXT, CLASS_NONE, 0, txtData(change.value));
  const unsigned = Buffer.concat([header, zone, update]);
  const timeSigned = Math.floor(now.getTime() / 1000);
  const requestMac = mac(target.key, unsigned, tsigVariables(target.key, timeSigned));
  const tsigRdata = Buffer.concat([
    encodeName(target.key.algorithm),
    u48(timeSigned),
    u16(FUDGE_S),
    u16(requestMac.length),
    requestMac,
    u16(id),
    u16(0),
    u16(0),
  ]);
  const signed = Buffer.concat([unsigned, rr(target.key.name, TYPE_TSIG, CLASS_ANY, 0, tsigRdata)]);
  signed.writeUInt16BE(1, 10); // ARCOUNT
  return { message: signed, requestMac };
}

/** Skips a (possibly compressed) name at `at`; returns the offset after it. */
function skipName(buf: Buffer, at: number): number {
  let i = at;
  for (;;) {
    const len = buf[i];
    if (len === undefined) throw new Error('truncated name');
    if ((len & 0xc0) === 0xc0) return i + 2;
    if (len === 0) return i + 1;
    i += len + 1;
  }
}

/** Checks the server's answer: its rcode, and its TSIG (present, right key, valid MAC, no error). */
export function checkAnswer(target: DnsUpdateTarget, id: number, requestMac: Buffer, answer: Buffer): void {
  const where = `the DNS server ${target.server}`;
  if (answer.length < 12 || answer.readUInt16BE(0) !== id)
    throw new AppError('unavailable', `${where} answered something else`);
  const flags = answer.readUInt16BE(2);
  const rcode = flags & 0xf;
  const counts = [4, 6, 8, 10].map((o) => answer.readUInt16BE(o));
  // find the TSIG: the last record of the additional section
  let at = 12;
  for (let q = 0; q < (counts[0] ?? 0); q++) at = skipName(answer, at) + 4;
  const records = (counts[1] ?? 0) + (counts[2] ?? 0) + (counts[3] ?? 0);
  let tsigAt = -1;
  let tsigRdataAt = -1;
  for (let r = 0; r < records; r++) {
    const start = at;
    at = skipName(answer, at);
    const type = answer.readUInt16BE(at);
    const rdlength = answer.readUInt16BE(at + 8);
    if (type === TYPE_TSIG && r === records - 1) {
      tsigAt = start;
      tsigRdataAt = at + 10;
    }
    at += 10 + rdlength;
  }
  if (tsigAt === -1) {
    // a server that could not verify our TSIG answers unsigned with NOTAUTH
    if (rcode === 0)
      throw new AppError(
        'permission_denied',
        `${where} answered without a TSIG signature; the answer is not trusted`,
      );
    const hints: Record<number, string> = {
      5: ` (does the zone's update-policy or allow-update grant key ${target.key.name}?)`,
      9: ' (the TSIG key name, algorithm or secret does not match the server’s)',
      10: ` (is ${target.zone} the zone the server is authoritative for?)`,
    };
    throw new AppError(
      'permission_denied',
      `${where} refused the update: ${RCODES[rcode] ?? `rcode ${rcode}`}${hints[rcode] ?? ''}`,
    );
  }
  let p = skipName(answer, tsigRdataAt); // algorithm
  const timeSigned = answer.readUIntBE(p, 6);
  p += 8; // time + fudge
  const macSize = answer.readUInt16BE(p);
  const answerMac = answer.subarray(p + 2, p + 2 + macSize);
  p += 2 + macSize + 2; // MAC + original id
  const error = answer.readUInt16BE(p);
  const otherLen = answer.readUInt16BE(p + 2);
  const other = answer.subarray(p + 4, p + 4 + otherLen);
  if (error !== 0)
    // an error answer carries no MAC (RFC 8945 §5.3.2), so there is nothing to verify
    throw new AppError(
      'permission_denied',
      `${where} refused the update: ${RCODES[rcode] ?? `rcode ${rcode}`}, TSIG error ${TSIG_ERRORS[error] ?? error}${
        error === 18
          ? ` (this machine's clock and the server's differ by more than ${FUDGE_S} s)`
          : ' (the TSIG key name, algorithm or secret does not match the server’s)'
      }`,
    );
  const unsigned = Buffer.from(answer.subarray(0, tsigAt));
  unsigned.writeUInt16BE((counts[3] ?? 1) - 1, 10);
  const expected = mac(
    target.key,
    u16(requestMac.length),
    requestMac,
    unsigned,
    tsigVariables(target.key, timeSigned, error, Buffer.from(other)),
  );
  if (expected.length !== answerMac.length || !timingSafeEqual(expected, answerMac))
    throw new AppError('permission_denied', `${where} answered with a TSIG that does not verify`);
  // a signature from outside the fudge window may be a replay of an old answer (RFC 8945 §5.4.3)
  if (Math.abs(Date.now() / 1000 - timeSigned) > FUDGE_S)
    throw new AppError(
      'permission_denied',
      `${where} signed its answer at a time off by more than ${FUDGE_S} s`,
    );
  if (rcode !== 0)
    throw new AppError(
      'failed_precondition',
      `${where} refused the update: ${RCODES[rcode] ?? `rcode ${rcode}`}${rcode === 5 ? ` (does the zone's update-policy grant key ${target.key.name} TXT records?)` : ''}`,
    );
}

/** Sends one TSIG-signed update over TCP and checks the answer. */
export async function dnsUpdate(
  target: DnsUpdateTarget,
  change: { op: 'add' | 'delete'; name: string; value: string; ttl?: number },
): Promise<void> {
  const id = Math.floor(Math.random() * 0x10000);
  const { message, requestMac } = buildUpdate(target, change, id);
  const [host, portText] = splitHostPort(target.server);
  const answer = await new Promise<Buffer>((resolve, reject) => {
    const socket = net.connect(Number(portText), host);
    const chunks: Buffer[] = [];
    socket.setTimeout(target.timeoutMs ?? 10_000, () =>
      socket.destroy(new AppError('unavailable', `the DNS server ${target.server} did not answer in time`)),
    );
    socket.on('connect', () => socket.write(Buffer.concat([u16(message.length), message])));
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      const all = Buffer.concat(chunks);
      if (all.length >= 2 && all.length >= 2 + all.readUInt16BE(0)) {
        socket.end();
        resolve(all.subarray(2, 2 + all.readUInt16BE(0)));
      }
    });
    socket.on('error', (e: NodeJS.ErrnoException) =>
      reject(
        e instanceof AppError
          ? e
          : new AppError(
              'unavailable',
              `cannot reach the DNS server ${target.server}: ${e.code ?? e.message}`,
            ),
      ),
    );
    socket.on('close', () =>
      reject(new AppError('unavailable', `the DNS server ${target.server} closed without an answer`)),
    );
  });
  checkAnswer(target, id, requestMac, answer);
}

/** `host:port`, `[v6]:port` or a bare host (port 53). */
export function splitHostPort(server: string): [string, string] {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(server);
  if (!m)
    throw new AppError(
      'invalid_argument',
      `"${server}" is not host:port (write an IPv6 address as [::1]:53)`,
    );
  return [m[1] ?? m[2] ?? server, m[3] ?? '53'];
}
