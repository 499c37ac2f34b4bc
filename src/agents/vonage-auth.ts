/**
 * Vonage's application JWT, signed once per token lifetime. `@vonage/auth` signs a new RS256 JWT for
 * every request (`createBearerHeader` → `tokenGenerate`): a synchronous RSA signature of about 1.5 ms
 * on the main thread each, so one model reply of 3000 tool calls held every call's audio for 4.5 s.
 * A Vonage application JWT is good until its `exp` (15 minutes, the SDK's default lifetime;
 * https://developer.vonage.com/en/getting-started/concepts/authentication#json-web-tokens): this
 * `Auth` keeps the token it signed and signs again only when less than a minute of it is left.
 * `@vonage/server-client` takes any object with `Auth`'s methods as its credentials.
 */
import { Auth } from '@vonage/auth';
import { decodeJwt } from 'jose';

/** A token is signed again when less than this is left of it: a request in flight must not carry an expired one. */
const RENEW_BEFORE_S = 60;

export class TokenCachingAuth extends Auth {
  /** Tokens signed so far (for the tests and the curious). */
  signatures = 0;
  #header: string | undefined;
  #expiresAtS = 0;

  /** @param now the wall clock, ms (injected in tests) */
  constructor(
    params: ConstructorParameters<typeof Auth>[0],
    private readonly now: () => number = Date.now,
  ) {
    super(params);
    // Auth's methods are instance properties: the signing one is kept and wrapped.
    const sign = this.createBearerHeader;
    this.createBearerHeader = async () => {
      const nowS = this.now() / 1000;
      if (this.#header === undefined || nowS >= this.#expiresAtS - RENEW_BEFORE_S) {
        const header = await sign();
        this.signatures++;
        this.#expiresAtS = decodeJwt(header.replace(/^Bearer /, '')).exp ?? nowS;
        this.#header = header;
      }
      return this.#header;
    };
  }
}
