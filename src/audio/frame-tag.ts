/**
 * Inaudible sequence tags in PCM frames (used by the emulator and the browser softphone), so returned audio can be matched to what was sent: the
 * least significant bit of the first 32 samples of a frame carries a 20-bit sequence number and a
 * 12-bit check (a change of at most 1/32768 of full scale, ~-90 dBFS). An app that echoes returns
 * the tag; an app that transforms the audio returns none, and no round trip is claimed.
 */
const TAG_SAMPLES = 32;
const SEQ_BITS = 20;
const SEQ_MASK = (1 << SEQ_BITS) - 1;

function check(seq: number): number {
  return (Math.imul(seq ^ 0x5bd1e, 0x9e3779b1) >>> 20) & 0xfff;
}

/** Writes `seq` into the frame in place. Frames shorter than 64 bytes are left alone. */
export function tagFrame(frame: Buffer, seq: number): void {
  if (frame.length < TAG_SAMPLES * 2) return;
  const word = (((seq & SEQ_MASK) << 12) | check(seq & SEQ_MASK)) >>> 0;
  for (let bit = 0; bit < TAG_SAMPLES; bit++) {
    const offset = bit * 2;
    const value = frame.readInt16LE(offset);
    const wanted = (word >>> (31 - bit)) & 1;
    frame.writeInt16LE((value & ~1) | wanted, offset);
  }
}

/** The sequence number tagged into `frame`, or -1 when it carries no valid tag. */
export function readFrameTag(frame: Buffer): number {
  if (frame.length < TAG_SAMPLES * 2) return -1;
  let word = 0;
  for (let bit = 0; bit < TAG_SAMPLES; bit++) word = ((word << 1) | (frame[bit * 2]! & 1)) >>> 0;
  const seq = word >>> 12;
  return (word & 0xfff) === check(seq) ? seq : -1;
}
