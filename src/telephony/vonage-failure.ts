/**
 * What went wrong in a request through `@vonage/voice`, in a line: the status Vonage answered and
 * the start of its problem document, or why there was no answer. The SDK's error carries the fetch
 * response; its body is read once, and never more than a line of it is kept.
 */
interface HttpFailure {
  message?: string;
  response?: { status?: number; text?: () => Promise<string>; bodyUsed?: boolean };
}

/** Longest part of a problem document kept in a log line or an error. */
const MAX_DETAIL_CHARS = 300;

export async function describeVonageFailure(error: unknown): Promise<{ status: number | undefined; detail: string }> {
  const failure = error as HttpFailure | undefined;
  const status = failure?.response?.status;
  if (status === undefined) return { status, detail: `no answer: ${failure?.message ?? String(error)}` };
  let said = '';
  try {
    const response = failure!.response!;
    said = response.text && !response.bodyUsed ? (await response.text()).replace(/\s+/g, ' ').slice(0, MAX_DETAIL_CHARS) : '';
  } catch {
    // The body could not be read: the status says enough.
  }
  return { status, detail: `Vonage answered ${status}${said ? `: ${said}` : ''}` };
}
