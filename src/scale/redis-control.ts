/**
 * Call control across instances over Redis pub/sub: a command for a call this instance does not
 * serve is published to the channel of the instance that does (found in the shared registry), which
 * applies it and answers on the asker's reply channel. docs/deploy.md "Many instances".
 */
import { randomUUID } from 'node:crypto';
import { applyLocally, type ControlCommand, type ControlResult, type ControlRoute } from '../call/call-control.js';
import type { CallRegistry } from '../call/call-registry.js';
import type { Logger } from '../call/logger.js';
import { KEY_PREFIX, type SharedCalls } from './shared-calls.js';
import type { RedisLink } from './redis-link.js';
import { MAX_CONTROL_MESSAGE_BYTES, controlReplySchema, controlRequestSchema, parseShared, type ControlReply, type ControlRequest } from './shared-records.js';

/** The owner answers from memory; a reply this late means it is gone or stuck. */
export const CONTROL_REPLY_TIMEOUT_MS = 2000;

const requestChannel = (instance: string) => `${KEY_PREFIX}control:${instance}`;
const replyChannel = (instance: string) => `${KEY_PREFIX}reply:${instance}`;

type WireCommand = ControlRequest['command'];

const toWire = (command: ControlCommand): WireCommand => (command.action === 'play' ? { action: 'play', wav: command.wav.toString('base64') } : command);
const fromWire = (command: WireCommand): ControlCommand =>
  command.action === 'play' ? { action: 'play', wav: Buffer.from(command.wav, 'base64') } : { action: command.action };

export function redisControlRoute(options: { link: RedisLink; shared: SharedCalls; registry: CallRegistry; log: Logger }): ControlRoute {
  const { link, shared, registry, log } = options;
  const me = shared.instance;
  const pending = new Map<string, (reply: ControlReply) => void>();

  link.subscribe(requestChannel(me), (text) => {
    // Anything may be published on a channel: only a well-formed request is acted on.
    const request = parseShared(controlRequestSchema, text, MAX_CONTROL_MESSAGE_BYTES);
    if (!request) return;
    const found = applyLocally(registry, request.call, fromWire(request.command), log);
    const reply: ControlReply = { id: request.id, found };
    void link.run((redis) => redis.publish(replyChannel(request.from), JSON.stringify(reply)));
  });
  link.subscribe(replyChannel(me), (text) => {
    const reply = parseShared(controlReplySchema, text, MAX_CONTROL_MESSAGE_BYTES);
    if (reply) pending.get(reply.id)?.(reply);
  });

  return {
    async send(call, command): Promise<ControlResult> {
      const owner = await shared.ownerOf(call);
      if (owner === null) return { ok: false, error: 'REDIS_UNAVAILABLE' };
      if (owner === undefined || owner === me) return { ok: false, error: 'CALL_NOT_FOUND' };
      const request: ControlRequest = { id: randomUUID(), from: me, call, command: toWire(command) };
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
      const receivers = await link.run((redis) => redis.publish(requestChannel(owner), JSON.stringify(request)));
      // Published to nobody: the owner's subscription is gone (it stopped, or is reconnecting).
      if (receivers === undefined || receivers === 0) pending.get(request.id)?.({ id: request.id, found: false });
      if (receivers === undefined) return { ok: false, error: 'REDIS_UNAVAILABLE' };
      if (receivers === 0) return { ok: false, error: 'CONTROL_TIMEOUT' };
      const reply = await answered;
      if (!reply) return { ok: false, error: 'CONTROL_TIMEOUT' };
      return reply.found ? { ok: true, instance: owner } : { ok: false, error: 'CALL_NOT_FOUND' };
    },
  };
}
