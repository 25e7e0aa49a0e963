// What the supervisor asks the IDE to show (gp open, gp preview, a port that opened): a hub that
// IDE windows subscribe to, and the watcher that announces ports as the configuration's onOpen says.
import { AppError, INTERNAL_PORTS, type Notification, type PortConfig } from '@atelier/protocol';
import type { Logger } from './log.js';
import { listeningPorts } from './ports/proc-net.js';

export class Notifications {
  private readonly subscribers = new Set<(n: Notification) => void>();

  /** An IDE window listens; the returned function unsubscribes. */
  subscribe(deliver: (n: Notification) => void): () => void {
    this.subscribers.add(deliver);
    return () => this.subscribers.delete(deliver);
  }

  get listeners(): number {
    return this.subscribers.size;
  }

  /** Delivers to every IDE window; throws failed_precondition when none listens. */
  notify(notification: Notification): number {
    if (this.subscribers.size === 0) {
      throw new AppError(
        'failed_precondition',
        'no VS Code window is open for this workspace: open the workspace in the browser first',
      );
    }
    for (const deliver of this.subscribers) deliver(notification);
    return this.subscribers.size;
  }
}

export interface PortWatcherOptions {
  ports: readonly PortConfig[];
  /** `{port}` stands for the number */
  portUrlTemplate: string;
  notifications: Notifications;
  procNet: string;
  logger: Logger;
  intervalMs?: number;
  /** called when the set of listening ports changed */
  onChange?: (ports: number[]) => void;
}

/** The configured onOpen of a port (ranges included); a port the configuration does not name: notify. */
export function onOpenOf(ports: readonly PortConfig[], port: number): PortConfig['onOpen'] {
  const found = ports.find((p) => p.port === port || (p.to !== undefined && port >= p.port && port <= p.to));
  return found?.onOpen ?? 'notify';
}

/** Polls the listening ports; a port that starts listening is announced to the IDE. */
export class PortWatcher {
  private known: Set<number> | undefined;
  private timer: NodeJS.Timeout | undefined;
  current: number[] = [];

  constructor(private readonly opts: PortWatcherOptions) {}

  start(): void {
    const tick = async () => {
      try {
        await this.check();
      } catch (e) {
        this.opts.logger.warn({ error: String(e) }, 'listening ports could not be read');
      }
      this.timer = setTimeout(() => void tick(), this.opts.intervalMs ?? 1_000);
      this.timer.unref();
    };
    void tick();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private async check(): Promise<void> {
    const ports = (await listeningPorts(INTERNAL_PORTS, this.opts.procNet)).map((p) => p.port);
    const previous = this.known;
    this.known = new Set(ports);
    const changed = ports.join() !== this.current.join();
    this.current = ports;
    if (changed) this.opts.onChange?.(ports);
    // the ports open when the supervisor started are not news
    if (!previous) return;
    for (const port of ports) {
      if (previous.has(port)) continue;
      const onOpen = onOpenOf(this.opts.ports, port);
      if (onOpen === 'ignore' || onOpen === 'ignore-completely') continue;
      if (this.opts.notifications.listeners === 0) continue;
      const url = this.opts.portUrlTemplate.replace('{port}', String(port));
      this.opts.notifications.notify({ kind: 'port', port, url, onOpen });
      this.opts.logger.info({ port, onOpen }, 'port announced to the IDE');
    }
  }
}
