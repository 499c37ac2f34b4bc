/**
 * How every emulated Vonage API answers an error: RFC 7807 problem details, as Vonage does
 * (docs/protocol.md). Its own leaf so each API's file uses it without importing the others.
 */
import type { FastifyReply } from 'fastify';

export function problem(reply: FastifyReply, status: number, title: string, detail: string) {
  // Vonage answers errors as RFC 7807 problem details.
  return reply
    .code(status)
    .type('application/problem+json')
    .send({ type: `https://developer.vonage.com/api-errors#${status}`, title, detail });
}
