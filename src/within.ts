/**
 * Rejects with `error()` unless `promise` settles within `ms`: the one timeout race for connects and
 * reads that may never answer (vendor sockets, a model's handshake, a stalled stream). A leaf.
 */
export async function within<T>(promise: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(error()), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
