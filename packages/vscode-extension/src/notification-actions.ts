// What the IDE does for each notification of the supervisor's stream (`gp open`, `gp preview`, a
// port's `onOpen`), and what each button of the "port is open" message does.
import type { Notification } from '@atelier/protocol';

export const PORT_CHOICES = ['Open in Browser', 'Open Preview', 'Make Public'] as const;
export type PortChoice = (typeof PORT_CHOICES)[number];

export type IdeAction =
  /** a new browser tab */
  | { kind: 'open-external'; url: string }
  /** VS Code's Simple Browser beside the editor */
  | { kind: 'preview'; url: string }
  /** a file in an editor */
  | { kind: 'open-file'; path: string }
  /** an information message whose buttons lead to choiceAction */
  | { kind: 'ask'; message: string; port: number; url: string; choices: readonly PortChoice[] };

export function actionFor(n: Notification): IdeAction {
  switch (n.kind) {
    case 'open':
      return { kind: 'open-file', path: n.path };
    case 'preview':
      return n.external ? { kind: 'open-external', url: n.url } : { kind: 'preview', url: n.url };
    case 'port':
      switch (n.onOpen) {
        case 'open-browser':
          return { kind: 'open-external', url: n.url };
        case 'open-preview':
          return { kind: 'preview', url: n.url };
        case 'notify':
          return {
            kind: 'ask',
            message: `Port ${n.port} is open`,
            port: n.port,
            url: n.url,
            choices: PORT_CHOICES,
          };
      }
  }
}

export type ChoiceAction = IdeAction | { kind: 'make-public'; port: number };

export function choiceAction(choice: PortChoice, port: number, url: string): ChoiceAction {
  switch (choice) {
    case 'Open in Browser':
      return { kind: 'open-external', url };
    case 'Open Preview':
      return { kind: 'preview', url };
    case 'Make Public':
      return { kind: 'make-public', port };
  }
}
