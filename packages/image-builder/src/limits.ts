// How many builds run: at most N at once on the installation, and one at a time per key (a
// repository), so that two starts of one repository build its image once and the second uses it.

/** A counting semaphore; waiters are served in arrival order. */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  /** Whether acquire() would wait now. */
  get full(): boolean {
    return this.active >= this.size;
  }

  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.active < this.size) {
      this.active++;
      return this.releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const go = () => {
        signal?.removeEventListener('abort', abort);
        resolve();
      };
      const abort = () => {
        const at = this.waiting.indexOf(go);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(signal?.reason ?? new Error('aborted'));
      };
      this.waiting.push(go);
      signal?.addEventListener('abort', abort, { once: true });
    });
    return this.releaser();
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    };
  }
}

/** One holder per key at a time; the others queue behind it. */
export class KeyedLock {
  private readonly locks = new Map<string, Semaphore>();
  private readonly users = new Map<string, number>();

  async run<T>(key: string, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    let lock = this.locks.get(key);
    if (!lock) {
      lock = new Semaphore(1);
      this.locks.set(key, lock);
    }
    this.users.set(key, (this.users.get(key) ?? 0) + 1);
    try {
      const release = await lock.acquire(signal);
      try {
        return await work();
      } finally {
        release();
      }
    } finally {
      const left = (this.users.get(key) ?? 1) - 1;
      if (left === 0) {
        this.users.delete(key);
        this.locks.delete(key);
      } else this.users.set(key, left);
    }
  }

  isHeld(key: string): boolean {
    return this.locks.has(key);
  }
}
