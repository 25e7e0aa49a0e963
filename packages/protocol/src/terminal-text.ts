// Terminal output (a task's scrollback) as plain text for places that are not a terminal: escape
// sequences dropped, line ends made \n, and a line rewritten with \r (a progress bar) shown as it ended.

// CSI (ESC [ … final), OSC (ESC ] … BEL or ESC \), other two-byte escapes, and the 8-bit CSI
const ESCAPES =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[PX^_][^\x1b]*(?:\x1b\\)?|\x1b[ -/]*[0-~]|\x9b[0-?]*[ -/]*[@-~]/g;
// other control characters a terminal does not print (tab and newline stay; \r and \b are handled below)
// biome-ignore lint/suspicious/noControlCharactersInRegex: as above
const INVISIBLE = /[\x00-\x07\x0b\x0c\x0e-\x1f\x7f]/g;

export function plainTerminalText(raw: string): string {
  return raw
    .replace(ESCAPES, '')
    .replace(/\r+\n/g, '\n')
    .split('\n')
    .map(lastRewrite)
    .join('\n')
    .replace(INVISIBLE, '');
}

/** A line as a terminal shows it after \r (back to the line start) and \b (one back). */
function lastRewrite(line: string): string {
  if (!line.includes('\r') && !line.includes('\b')) return line;
  const cells: string[] = [];
  let col = 0;
  for (const ch of line) {
    if (ch === '\r') col = 0;
    else if (ch === '\b') col = Math.max(0, col - 1);
    else cells[col++] = ch;
  }
  return cells.join('');
}
