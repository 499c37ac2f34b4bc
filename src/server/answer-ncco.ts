/**
 * The NCCO the server answers a call with: the greeting, then a connect to our own call socket,
 * carrying the call's identity in `headers` so the socket knows which call it carries.
 * Pure: the route hands in the request's fields and the socket URL.
 */
import { fitHeaders, type AnswerRequest } from '../protocol/webhooks.js';
import { talkAction, websocketConnectAction, type Ncco, type WebsocketAuthorization } from '../protocol/ncco.js';
import type { SampleRate } from '../protocol/audio-format.js';

export interface AnswerNccoOptions {
  socketUri: string;
  sampleRate: SampleRate;
  greeting: string;
  greetingLanguage: string;
  connectFrom: string | undefined;
  authorization?: WebsocketAuthorization;
}

export function answerNcco(request: AnswerRequest, options: AnswerNccoOptions): Ncco {
  // Identifiers first: if the 512-byte limit bites, fitHeaders shortens the longest values and drops
  // trailing keys, so uuid and conversation_uuid survive.
  const headers = fitHeaders({
    uuid: request.uuid,
    conversation_uuid: request.conversationUuid,
    from: request.from ?? request.fromUser,
    to: request.to,
  });
  const from = options.connectFrom ?? (request.to && /^\d{1,15}$/.test(request.to) ? request.to : undefined);
  return [
    talkAction(options.greeting, { language: options.greetingLanguage }),
    websocketConnectAction({
      uri: options.socketUri,
      sampleRate: options.sampleRate,
      headers,
      ...(from ? { from } : {}),
      ...(options.authorization ? { authorization: options.authorization } : {}),
    }),
  ];
}
