/**
 * Every coded error voicesocket reports, in one place (the fastify `FST_ERR_*` habit). Logs and HTTP
 * replies carry the code so an operator can grep for it; the text says what and why.
 * This module is a leaf: any layer may import it.
 */
export const ERRORS = {
  CONFIG_INVALID: 'a configuration value is not allowed',
  PORT_IN_USE: 'the port is taken: another process listens there',
  PORT_FORBIDDEN: 'listening on this port is not permitted to this user',
  HOST_UNAVAILABLE: 'the host to listen on is not an address of this machine',
  TEXT_NOT_JSON: 'a WebSocket text message is not JSON',
  TEXT_INVALID: 'a WebSocket text message is JSON but not a message this protocol defines',
  TEXT_UNKNOWN_EVENT: 'a WebSocket text message has an event this protocol does not define',
  AUDIO_BEFORE_CONNECTED: 'binary audio arrived before websocket:connected; it is held until the connected message gives its rate',
  AUDIO_FORMAT_UNSUPPORTED:
    'websocket:connected states an audio format voicesocket cannot speak (only audio/l16 at 8, 16 or 24 kHz); the call is closed (1003) rather than misread',
  AUDIO_FORMAT_ASSUMED: 'websocket:connected carries no content-type; the call runs at 16 kHz, as Vonage does without one',
  AUDIO_ODD_LENGTH: 'a binary message is not a whole number of 16-bit samples',
  FRAME_SIZE: 'an outbound audio frame is not exactly one 20 ms frame',
  EVENT_MALFORMED: 'an event webhook body could not be read as a Vonage event',
  ANSWER_MALFORMED: 'an answer webhook body could not be read',
  ANSWER_HOOK_FAILED: 'the answer hook threw, timed out or returned an invalid NCCO; the default NCCO was sent',
  SOCKET_PATH: 'a WebSocket upgrade asked for a path that is not a call socket',
  SHUTTING_DOWN: 'the server is shutting down and accepts no new calls',
  DRAINING: 'the server is draining: it finishes the calls it has and takes no new ones',
  WORKER_DIED: 'a worker process died; its calls were lost and another worker was started',
  DRAIN_TIMEOUT: 'a call was still going when the drain timeout passed; it was closed (1001)',
  REDIS_UNAVAILABLE: 'redis cannot be reached; this instance shows and controls only its own calls until it returns',
  REDIS_DATA_INVALID: "a value under voicesocket's Redis prefix is not one voicesocket wrote (junk, too large, or of another type); it was skipped",
  REDIS_CONTROL_OFF:
    'call control across instances is off: with --redis it needs REDIS_SECRET or VONAGE_SIGNATURE_SECRET to authenticate its messages (the call list is still shared)',
  REDIS_CONTROL_FORGED:
    'a call control message on Redis was ignored: unsigned, altered, for another instance, too old or replayed (anyone who can publish on the Redis server can send one)',
  REDIS_SECRET_MISMATCH:
    'another instance signs call control with a different secret, so control between the two fails: set the same REDIS_SECRET (or VONAGE_SIGNATURE_SECRET) on every instance',
  REDIS_LISTING_PARTIAL: "a listing of every instance's calls left some out: their records or events in Redis would pass the listing's byte budget",
  CALL_NOT_FOUND: 'no call with this id or leg uuid is in progress on any instance',
  CONTROL_TIMEOUT: 'the instance serving the call did not answer a call control request in time',
  PLAY_INVALID: 'the audio to play is not a playable WAV file, or is too large or too long',
  SPEECH_ENGINE_MISSING: 'a speech engine is not installed or not configured; the call goes on without it (the line names the Debian package or setting)',
  SPEECH_ENGINE_UNAUTHORIZED: 'a speech provider refused the API key; the call goes on without it',
  SPEECH_ENGINE_BUSY: 'the offline speech engine is at its limit of engines running at once; this call goes on without transcription',
  SPEECH_ENGINE_FAILED: 'a speech engine crashed, disconnected or stalled; the call goes on without it',
  SPEECH_RESULT_TOO_LARGE: 'a speech engine reported a result larger than any utterance; its text and words were cut, the call goes on',
  SPEECH_RESULT_FLOOD: 'a speech engine reported results faster than anyone speaks; the excess was dropped, the call goes on',
  AGENT_MODEL_FAILED:
    "a voice agent's model dropped, refused the key or did not connect in time; the caller heard an apology and the call ended, other calls go on",
  AGENT_MODEL_ERROR: "a voice agent's model reported an error; the call goes on",
  AGENT_MODEL_SILENT: "a voice agent's model did not answer in time; the caller heard an apology, and after a second silence the call ended",
  AGENT_AUDIO_TOO_LARGE: "a voice agent's model sent an audio chunk larger than any real one; it was dropped, the call goes on",
  AGENT_REPLY_TOO_LONG:
    "a voice agent's reply ran past a bound (its audio's length, audio held ahead of the pacer, its text, or its chat stream's bytes or time); it was cut there, the provider was told what the caller heard, the call goes on",
  AGENT_TOOL_FAILED: "a voice agent's tool threw; the model was told, the call goes on",
  AGENT_TOOL_REFUSED:
    "a voice agent's tool call was refused before it ran: arguments that are not JSON, repeat a key or do not fit its parameters (a transfer to a destination the operator did not name), more calls than a turn allows, a second transfer; the model was told why, the call goes on",
  TRANSCRIPT_DELIVERY: 'a transcript could not be written to its file or POSTed to its URL; the call and its transcript go on',
  TRANSCRIPT_DROPPED:
    "a transcript result was not delivered: the call's deliveries in flight were at their limit (a slow URL, or an engine flooding results); the call goes on",
  APP_FAILED: 'the call app threw; its call was ended, the server goes on',
  RECORDING_FAILED: 'a recording could not be opened or written (disk full, no file descriptors); it stopped, the call goes on',
  FOREIGN_ORIGIN:
    'a browser request from another site was refused: call control takes requests from the dashboard\'s own origin only, and trust as "this machine" needs a loopback Host (DNS rebinding)',
  DASHBOARD_UNAUTHORIZED: 'the dashboard and its APIs need the dashboard password, or a request from this machine, when webhooks are verified',
  SOCKET_UNAUTHORIZED: 'a socket upgrade carries no valid credentials',
  TOO_MANY_CALLS: 'the server is at its concurrent call limit',
  MESSAGE_TOO_BIG: 'a WebSocket message is larger than allowed',
  TEXT_RATE: 'a socket sends text messages faster than allowed; the excess is dropped',
  PING_RATE: 'a socket sends pings faster than any keepalive does; the excess goes unanswered, then the call is closed',
  PLAYBACK_OVERFLOW: 'an app queued more paced audio than its call or the process may hold; the excess is dropped',
  AUDIO_RATE: 'a socket sends audio faster than a phone call does; the excess is dropped, then the call is closed',
  SSE_SLOW_CLIENT: 'a dashboard stream client does not read what it is sent; it is cut',
  SSE_TOO_MANY: 'too many dashboard stream clients are connected',
  SLOW_CONSUMER: 'a socket does not read what it is sent; audio is dropped, then the call is closed',
  IDLE_TIMEOUT: 'a call socket sent nothing for too long',
  PEER_DEAD: 'a call socket did not answer a ping',
  SIGNATURE_MISSING: 'a signed request carries no Bearer token',
  SIGNATURE_INVALID: 'a request token is not a valid JWT signed with the signature secret',
  SIGNATURE_ALGORITHM: 'a request token is not signed with HS256',
  SIGNATURE_ISSUER: 'a request token was not issued by Vonage',
  SIGNATURE_API_KEY: 'a request token names another API key',
  SIGNATURE_APPLICATION: 'a request token names another application',
  SIGNATURE_STALE: 'a request token is older than the allowed age',
  SIGNATURE_FUTURE: 'a request token is issued in the future beyond the allowed skew',
  SIGNATURE_REPLAY: 'a request token was used before',
  SIGNATURE_PAYLOAD: 'a request body does not match the payload_hash it was signed with',
  VONAGE_CREDENTIALS: 'the Vonage API key and secret are missing or were refused',
  VONAGE_REFUSED: 'a Vonage API refused a change',
  VONAGE_UNREACHABLE: 'a Vonage API could not be reached',
  VONAGE_NOT_FOUND: 'the Vonage account has no such application or number',
  INSUFFICIENT_BALANCE: 'the Vonage account balance does not cover the number',
  CONFIRMATION_NEEDED: 'a change needs confirmation and there is no terminal to ask on',
  TUNNEL_UNAVAILABLE: 'no public URL: a tunnel could not be opened and none was given',
  SDK_MISSING: "a vendor's SDK the chosen engine, provider or tunnel needs is not installed (an optional dependency)",
  RECORD_FAILED: "a call's record could not be built or written to its folder (full, gone); the call went on, its report is still sent",
  REPORT_DELIVERY: 'a call report could not be POSTed to --call-report-url; it stays in the spool and is retried',
  REPORT_SPOOL: 'a call report could not be kept in the spool folder (full, gone); it is retried from memory while the process lives',
  REPORT_DROPPED:
    'a call report was not kept: the spool holds its limit of reports (docs/records.md); the record is still in the records folder, if there is one',
  ANALYSIS_FAILED: "a call's analysis failed (the model refused, timed out, or answered outside the schema); the record says why",
  TRACING_FAILED: 'traces could not be exported to the OTLP collector; calls go on, and the spans of that batch are lost',
  TELEPHONY_UNAVAILABLE: 'the server has no Vonage application credentials, so it cannot place, transfer or send DTMF into calls',
  DIAL_INVALID: 'a dial request is not one Vonage can place (number, caller ID, timers or context)',
  DIAL_FAILED: "Vonage's Voice API refused or did not answer a request to place a call",
  DIAL_LIST_INVALID: 'a dial list is not a CSV with a number column, or a row is not one that can be dialled; nothing was dialled',
  DIAL_JOURNAL: 'the dial journal cannot be read or written, or another run holds it',
  TRANSFER_REFUSED: 'a transfer was asked for to a destination that is not one of the named ones; nothing was dialled',
  TRANSFER_FAILED: "a transfer could not be made (Vonage's Voice API refused it, or the call had ended); the call goes on",
  DTMF_FAILED: "DTMF could not be sent into the call (Vonage's Voice API refused it, or the call had ended)",
  DTMF_INVALID: 'DTMF digits to send must be 1 to 100 of 0-9, *, # and p (a pause)',
  EVAL_SCENARIO: 'an eval scenario file is not valid (it names the file, the scenario and the field); nothing was run',
} as const;

export type ErrorName = keyof typeof ERRORS;
export type ErrorCode = `VS_ERR_${ErrorName}`;

export function errorCode(name: ErrorName): ErrorCode {
  return `VS_ERR_${name}`;
}

export class VoicesocketError extends Error {
  readonly code: ErrorCode;
  constructor(name: ErrorName, detail?: string, options?: { cause?: unknown }) {
    super(detail ? `${ERRORS[name]}: ${detail}` : ERRORS[name], options);
    this.name = 'VoicesocketError';
    this.code = errorCode(name);
  }
}
