/**
 * The NCCO the server answers a call with: the greeting, then a connect to our own call socket,
 * carrying the call's identity in `headers` so the socket knows which call it carries.
 * Pure: the route hands in the request's fields and the socket URL.
 */
import { fitHeaders, type AnswerRequest } from '../protocol/webhooks.js';
import { talkAction, websocketConnectAction, type Ncco, type NccoAction, type WebsocketAuthorization } from '../protocol/ncco.js';
import type { SampleRate } from '../protocol/audio-format.js';

export interface AnswerNccoOptions {
  socketUri: string;
  sampleRate: SampleRate;
  greeting: string;
  greetingLanguage: string;
  connectFrom: string | undefined;
  authorization?: WebsocketAuthorization;
}

/** Extra choices for the connect to our socket (the answer hook's `ncco.connect`). */
export interface SocketConnectChoices {
  headers?: Record<string, unknown>;
  sampleRate?: SampleRate;
  from?: string;
}

/**
 * The `connect` to this server's call socket: the call's identity in the headers (first, and winning
 * over any extra header of the same name, so it survives when the 512-byte limit shortens the rest),
 * the configured rate and authorization, and as caller ID the configured number or the one called.
 */
export function socketConnectAction(request: AnswerRequest, options: AnswerNccoOptions, choices: SocketConnectChoices = {}): NccoAction {
  const identity = { uuid: request.uuid, conversation_uuid: request.conversationUuid, from: request.from ?? request.fromUser, to: request.to };
  const from = choices.from ?? options.connectFrom ?? (request.to && /^\d{1,15}$/.test(request.to) ? request.to : undefined);
  return websocketConnectAction({
    uri: options.socketUri,
    sampleRate: choices.sampleRate ?? options.sampleRate,
    headers: fitHeaders({ ...identity, ...choices.headers, ...identity }),
    ...(from ? { from } : {}),
    ...(options.authorization ? { authorization: options.authorization } : {}),
  });
}

export function answerNcco(request: AnswerRequest, options: AnswerNccoOptions): Ncco {
  return [talkAction(options.greeting, { language: options.greetingLanguage }), socketConnectAction(request, options)];
}
