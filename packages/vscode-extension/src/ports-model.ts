// What the Ports view shows for each port: label, description, tooltip, icon and the context value
// that decides which actions (open, preview, make public/private, copy URL) its menus offer.
import type { PortDto } from '@atelier/protocol';

export type PortAction = 'open' | 'preview' | 'makePublic' | 'makePrivate' | 'copyUrl';

export interface PortItem {
  /** stable across updates, so VS Code keeps selection and focus */
  id: string;
  port: number;
  url: string;
  label: string;
  description: string;
  tooltip: string;
  /** `atelierPort.<served|notServed>.<private|public>`; package.json's menus match on it */
  contextValue: string;
  /** codicon id and theme colour id */
  icon: { id: string; color: string | undefined };
  actions: PortAction[];
}

/** The view's rows, by port number; ports configured `onOpen: ignore-completely` are left out (as in Gitpod). */
export function portItems(ports: readonly PortDto[]): PortItem[] {
  return ports
    .filter((p) => p.onOpen !== 'ignore-completely')
    .toSorted((a, b) => a.port - b.port)
    .map(portItem);
}

export function portItem(p: PortDto): PortItem {
  const state = p.served ? 'served' : 'not served';
  const actions: PortAction[] = [];
  if (p.served) actions.push('open', 'preview');
  actions.push(p.visibility === 'private' ? 'makePublic' : 'makePrivate', 'copyUrl');
  const tooltip = [
    p.url,
    p.name ? `${p.port} · ${p.name}` : `port ${p.port}`,
    p.description,
    `${state} · ${p.visibility}${p.visibility === 'public' ? ' (anyone with the URL can reach it)' : ''}`,
  ].filter((line): line is string => Boolean(line));
  return {
    id: `port:${p.port}`,
    port: p.port,
    url: p.url,
    label: p.name ? `${p.port} · ${p.name}` : String(p.port),
    description: `${state} · ${p.visibility}`,
    tooltip: tooltip.join('\n'),
    contextValue: `atelierPort.${p.served ? 'served' : 'notServed'}.${p.visibility}`,
    icon: p.served
      ? { id: p.visibility === 'public' ? 'unlock' : 'circle-filled', color: 'charts.green' }
      : { id: 'circle-outline', color: undefined },
    actions,
  };
}
