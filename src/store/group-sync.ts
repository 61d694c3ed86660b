import { syncPaths, type Syncer } from './atomic-file';

interface Waiter {
  paths: readonly string[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * fsync in rounds for many callers at once (group commit): paths asked for while a round
 * runs wait for the next one, where a path several callers named (a shared directory) is
 * synced once. ext4 commits its journal at each fsync and stalls every file creation
 * while it does; a fleet whose clients each synced on their own spent about half its time
 * there. A caller's
 * failure is its own: it gets the error of its own paths.
 */
export class GroupSync {
  private waiting: Waiter[] = [];
  private running = false;

  readonly sync: Syncer = (paths) =>
    new Promise<void>((resolve, reject) => {
      this.waiting.push({ paths, resolve, reject });
      if (!this.running) void this.run();
    });

  private async run(): Promise<void> {
    this.running = true;
    try {
      // Ends when a round finds nobody waiting; each round takes everyone who was.
      while (this.waiting.length > 0) {
        const round = this.waiting;
        this.waiting = [];
        const synced = new Map<string, Promise<void>>();
        const once = (p: string): Promise<void> => {
          let done = synced.get(p);
          if (!done) synced.set(p, (done = syncPaths([p])));
          return done;
        };
        await Promise.all(round.map((w) => Promise.all(w.paths.map(once)).then(() => w.resolve(), w.reject)));
      }
    } finally {
      this.running = false;
    }
  }
}
