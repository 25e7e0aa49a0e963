import assert from 'node:assert/strict';
import { test } from 'node:test';
import { plainTerminalText } from './terminal-text.js';

const rows: [string, string, string][] = [
  ['plain text stays', 'hello\nworld', 'hello\nworld'],
  ['colours and bold go', '\x1b[1;32mready\x1b[0m on \x1b[4m:3000\x1b[m', 'ready on :3000'],
  ['CRLF becomes LF', 'a\r\nb\r\r\n', 'a\nb\n'],
  ['a window title (OSC … BEL) goes', '\x1b]0;user@ws: ~\x07$ ls', '$ ls'],
  ['an OSC ended by ESC \\ goes', '\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\', 'link'],
  ['cursor moves and erases go', '\x1b[2K\x1b[1Gdone\x1b[?25h', 'done'],
  ['bracketed paste mode goes', '\x1b[?2004hgitpod /workspace $ \x1b[?2004l', 'gitpod /workspace $ '],
  [
    'a progress bar shows as it ended',
    'Receiving 10%\rReceiving 55%\rReceiving 100%, done.\n',
    'Receiving 100%, done.\n',
  ],
  ['a shorter rewrite keeps the tail', 'abcdef\rXY', 'XYcdef'],
  ['backspace moves back one', 'ab\bc', 'ac'],
  ['a bell and other controls go; tabs stay', 'a\x07b\x00\tc', 'ab\tc'],
  ['charset selection (ESC ( B) goes', '\x1b(Bplain', 'plain'],
];

for (const [what, raw, plain] of rows) test(what, () => assert.equal(plainTerminalText(raw), plain));
