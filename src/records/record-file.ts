/**
 * A record as the records folder holds it, read back for the call history: the JSON of a version 1
 * record, or nothing. A leaf (no SDK, no call machinery): the history's routes load with every server.
 */
import { readFile } from 'node:fs/promises';
import { CALL_RECORD_TYPE, type CallRecord } from './call-record.js';

/** A record from the records folder, or undefined when the file is not one. */
export async function readRecord(path: string): Promise<CallRecord | undefined> {
  try {
    const record = JSON.parse(await readFile(path, 'utf8')) as CallRecord;
    return record.type === CALL_RECORD_TYPE ? record : undefined;
  } catch {
    return undefined;
  }
}
