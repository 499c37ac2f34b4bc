/**
 * Call control across instances over Redis pub/sub: a command for a call this instance does not
 * serve is published to the channel of the instance that does (found in the shared registry), which
 * applies it and answers on the asker's reply channel. Every message is signed, names its recipient
 * and is taken once (control-signing.ts): publishing on a channel is not enough to control a call.
 * docs/deploy.md "Many instances", docs/security.md "Redis".
 */
import { randomUUID } from 'node:crypto';
import { errorCode } from '../errors.js';
import { applyLocally, type ControlCommand, type ControlResult, type ControlRoute } from '../call/call-control.js';
import type { CallRegistry } from '../call/call-registry.js';
import { SampledLog, type Logger } from '../call/logger.js';
import { KEY_PREFIX, type SharedCalls } from './shared-calls.js';
import type { RedisLink } from './redis-link.js';
import { MAX_CONTROL_MESSAGE_BYTES, controlReplySchema, controlRequestSchema, parseShared, type ControlReply, type ControlRequest } from './shared-records.js';
import { ReplayGuard, openControl, signControl, type ControlKey } from './control-signing.js';

/** The owner answers from memory; a reply this late means it is gone or stuck. */
export const CONTROL_REPLY_TIMEOUT_MS = 2000;

const requestChannel = (instance: string) => `${KEY_PREFIX}control:${instance}`;
const replyChannel = (instance: string) => `${KEY_PREFIX}reply:${instance}`;

type WireCommand = ControlRequest['command'];

const toWire = (command: ControlCommand): WireCommand => (command.action === 'play' ? { action: 'play', wav: command.wav.toString('base64') } : command);
const fromWire = (command: WireCommand): ControlCommand => (command.action === 'play' ? { action: 'play', wav: Buffer.from(command.wav, 'base64') } : command);

export function redisControlRoute(options: {
  link: RedisLink;
  shared: SharedCalls;
  registry: CallRegistry;
  log: Logger;
  /** The control key (REDIS_SECRET or VONAGE_SIGNATURE_SECRET); without one, control across instances is off. */
  key: ControlKey | undefined;
}): ControlRoute {
  const { link, shared, registry, log, key } = options;
  const me = shared.instance;
  if (!key) {
    log.warn(
      { code: errorCode('REDIS_CONTROL_OFF') },
      'redis: no REDIS_SECRET or VONAGE_SIGNATURE_SECRET, so call control messages could not be authenticated: control across instances is off (the call list is still shared)',
    );
    return { send: async () => ({ ok: false, error: 'REDIS_CONTROL_OFF' }) };
  }
  const pending = new Map<string, (reply: ControlReply) => void>();
  const replays = new ReplayGuard();
  // Refusals by sample: a flood of forged messages is not a flood of lines.
  const refusals = new SampledLog(log);
  /** The verified JSON of a message for this instance, or undefined (refused with a coded line). */
  const open = (wire: string, channel: string): string | undefined => {
    if (wire.length > MAX_CONTROL_MESSAGE_BYTES) {
      refusals.warn(errorCode('REDIS_CONTROL_FORGED'), { channel, bytes: wire.length }, 'redis: a control message over the size cap was ignored');
      return undefined;
    }
    const opened = openControl(key, wire);
    if (opened.ok) return opened.json;
    if (opened.problem === 'MISMATCH')
      refusals.warn(
        errorCode('REDIS_SECRET_MISMATCH'),
        { channel, detail: opened.detail },
        'redis: a control message signed with another secret was ignored: set the same REDIS_SECRET (or VONAGE_SIGNATURE_SECRET) on every instance',
      );
    else refusals.warn(errorCode('REDIS_CONTROL_FORGED'), { channel, detail: opened.detail }, 'redis: an unauthenticated control message was ignored');
    return undefined;
  };
  const refuse = (channel: string, detail: string) =>
    refusals.warn(errorCode('REDIS_CONTROL_FORGED'), { channel, detail }, 'redis: a control message was ignored');

  link.subscribe(requestChannel(me), (wire) => {
    const channel = requestChannel(me);
    const json = open(wire, channel);
    if (json === undefined) return;
    const request = parseShared(controlRequestSchema, json, MAX_CONTROL_MESSAGE_BYTES);
    if (!request) return refuse(channel, 'signed, but not a control request');
    if (request.to !== me) return refuse(channel, `addressed to ${JSON.stringify(request.to.slice(0, 200))}`);
    const stale = replays.check(request.id, request.at);
    if (stale) return refuse(channel, stale);
    const found = applyLocally(registry, request.call, fromWire(request.command), log);
    const reply: ControlReply = { id: request.id, from: me, to: request.from, at: Date.now(), found };
    void link.run((redis) => redis.publish(replyChannel(request.from), signControl(key, JSON.stringify(reply))));
  });
  link.subscribe(replyChannel(me), (wire) => {
    const channel = replyChannel(me);
    const json = open(wire, channel);
    if (json === undefined) return;
    const reply = parseShared(controlReplySchema, json, MAX_CONTROL_MESSAGE_BYTES);
    if (!reply || reply.to !== me) return refuse(channel, 'signed, but not a reply for this instance');
    // A reply is taken once: the request it answers is no longer pending after it.
    pending.get(reply.id)?.(reply);
  });

  return {
    async send(call, command): Promise<ControlResult> {
      const owner = await shared.ownerOf(call);
      if (owner === null) return { ok: false, error: 'REDIS_UNAVAILABLE' };
      if (owner === undefined || owner.instance === me) return { ok: false, error: 'CALL_NOT_FOUND' };
      // Its record says which key it signs with: a different one would time out in silence.
      if (owner.keyId !== undefined && owner.keyId !== key.id) {
        refusals.warn(
          errorCode('REDIS_SECRET_MISMATCH'),
          { instance: owner.instance, theirs: owner.keyId, ours: key.id },
          'redis: the instance serving the call signs control with another secret: set the same REDIS_SECRET (or VONAGE_SIGNATURE_SECRET) on every instance',
        );
        return { ok: false, error: 'REDIS_SECRET_MISMATCH' };
      }
      const request: ControlRequest = { id: randomUUID(), from: me, to: owner.instance, at: Date.now(), call, command: toWire(command) };
      const answered = new Promise<ControlReply | undefined>((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(request.id);
          resolve(undefined);
        }, CONTROL_REPLY_TIMEOUT_MS);
        pending.set(request.id, (reply) => {
          clearTimeout(timer);
          pending.delete(request.id);
          resolve(reply);
        });
      });
      const wire = signControl(key, JSON.stringify(request));
      const receivers = await link.run((redis) => redis.publish(requestChannel(owner.instance), wire));
      // Published to nobody: the owner's subscription is gone (it stopped, or is reconnecting).
      if (receivers === undefined || receivers === 0) pending.get(request.id)?.({ id: request.id, from: owner.instance, to: me, at: Date.now(), found: false });
      if (receivers === undefined) return { ok: false, error: 'REDIS_UNAVAILABLE' };
      if (receivers === 0) return { ok: false, error: 'CONTROL_TIMEOUT' };
      const reply = await answered;
      if (!reply) return { ok: false, error: 'CONTROL_TIMEOUT' };
      return reply.found ? { ok: true, instance: owner.instance } : { ok: false, error: 'CALL_NOT_FOUND' };
    },
  };
}
