/**
 * The reports waiting for their receiver, on disk: one file per report, written whole (a temporary
 * file renamed into place) before the first attempt and removed after the receiver said 2xx. A
 * process that dies leaves its reports for the next one. Files are claimed by renaming them to the
 * claiming process's id, so the workers of one machine sharing a spool never send one twice at
 * once; a claim whose process is gone is taken over. The folder belongs to one machine (process ids).
 */
import { mkdir, readFile, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const READY = '.json';
const CLAIMED = /^(.+\.json)\.claimed-(\d+)$/;

export interface SpooledReport {
  /** The file name as spooled (`<ms>-<id>.json`): its order is the order the reports were made. */
  name: string;
  /** Where it is now: claimed by this process. */
  path: string;
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class ReportSpool {
  private constructor(readonly dir: string) {}

  static async open(dir: string): Promise<ReportSpool> {
    await mkdir(dir, { recursive: true });
    return new ReportSpool(dir);
  }

  /** Keeps a report (throws when it cannot: a full disk); returns it claimed by this process. */
  async put(id: string, body: string, atMs = Date.now()): Promise<SpooledReport> {
    const name = `${String(atMs).padStart(14, '0')}-${id.replace(/[^A-Za-z0-9-]/g, '_')}${READY}`;
    const path = this.claimedPath(name);
    const temporary = join(this.dir, `.${name}.${process.pid}.tmp`);
    try {
      await writeFile(temporary, body);
      await rename(temporary, path);
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      throw error;
    }
    return { name, path };
  }

  /** Claims every report no living process holds (left by a process that died, or by this one before a restart), oldest first. */
  async claimWaiting(): Promise<SpooledReport[]> {
    const claimed: SpooledReport[] = [];
    for (const file of (await readdir(this.dir)).sort()) {
      const held = CLAIMED.exec(file);
      const name = held ? held[1]! : file.endsWith(READY) && !file.startsWith('.') ? file : undefined;
      if (!name || (held && held[2] === String(process.pid))) continue;
      if (held && alive(Number(held[2]))) continue;
      const path = this.claimedPath(name);
      try {
        await rename(join(this.dir, file), path);
        claimed.push({ name, path });
      } catch {
        // Another process claimed it first.
      }
    }
    return claimed;
  }

  read(report: SpooledReport): Promise<string> {
    return readFile(report.path, 'utf8');
  }

  async remove(report: SpooledReport): Promise<void> {
    await unlink(report.path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }

  private claimedPath(name: string): string {
    return join(this.dir, `${name}.claimed-${process.pid}`);
  }
}
