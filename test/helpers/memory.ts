/**
 * What the test process holds, after a full collection: the fault suite's memory bounds. The heap
 * with the Buffers it holds (audio lives in Buffers, outside the heap proper) is the precise measure;
 * the resident set is what the machine pays, and also keeps what V8 and the allocator do not give
 * back at once, so its bounds are looser.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

export const MB = 1024 * 1024;

export interface Memory {
  /** The JavaScript heap in use and the ArrayBuffers (Buffers) alive, bytes. */
  heap: number;
  /** The process's resident set, bytes. */
  rss: number;
}

export function memoryAfterGc(): Memory {
  gc();
  const { heapUsed, arrayBuffers, rss } = process.memoryUsage();
  return { heap: heapUsed + arrayBuffers, rss };
}

/** Growth since `before`, in MB. */
export function grownSince(before: Memory): { heapMb: number; rssMb: number } {
  const now = memoryAfterGc();
  return { heapMb: (now.heap - before.heap) / MB, rssMb: (now.rss - before.rss) / MB };
}

/**
 * Waits, up to `timeoutMs`, for the heap's growth since `before` to fall under `boundMb`, and returns
 * the last growth: what is still draining (sockets closing, a flood's last buffers) falls, a leak
 * does not. Measured every 250 ms (a full collection is not free).
 */
export async function heapSettles(before: Memory, boundMb: number, timeoutMs = 10_000): Promise<{ heapMb: number; rssMb: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const grown = grownSince(before);
    if (grown.heapMb < boundMb || Date.now() > deadline) return grown;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
