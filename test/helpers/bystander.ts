/**
 * A bystander call: an ordinary call on the same server while a fault is injected elsewhere. Its echo
 * must stay byte-exact, before, during and after: faults stay in their call.
 */
import assert from 'node:assert/strict';
import { SocketClient, patternFrame } from './socket-client.js';
import { waitFor } from './server.js';
import { echo, type CallApp } from '../../src/apps/index.js';

export class Bystander {
  private seed = 0;
  private constructor(private readonly client: SocketClient) {}

  static async join(socketUrl: string): Promise<Bystander> {
    return new Bystander(await SocketClient.call(socketUrl, 'audio/l16;rate=16000', { uuid: 'bystander' }));
  }

  /** Sends `frames` frames and waits for each to come back exactly, in order. */
  async echoesExactly(frames = 10): Promise<void> {
    const start = this.client.received.binary.length;
    const sent = Array.from({ length: frames }, () => patternFrame(640, ++this.seed));
    for (const frame of sent) this.client.sendBinary(frame);
    await waitFor(() => this.client.received.binary.length >= start + frames, 5000, 'the bystander echo');
    assert.deepEqual(this.client.received.binary.slice(start), sent, 'the bystander hears exactly what it sent');
    assert.equal(this.client.closed, undefined, 'the bystander call is still up');
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/**
 * Runs `app` on every call but the bystander's, which gets `echo`. The choice needs the call's
 * identity, so it is made on `connected`, and the message is delivered again to the listeners the
 * app just added (listeners added during an emit do not hear that emit).
 */
export function withBystander(app: CallApp): CallApp {
  return (call, context) => {
    call.once('connected', (identity) => {
      if (identity.uuid === 'bystander') return echo(call);
      const before = call.listenerCount('connected');
      const started = app(call, context);
      if (call.listenerCount('connected') > before) call.emit('connected', identity);
      return started;
    });
  };
}
