/**
 * Post-call analysis: the call's transcript to a chat model (any OpenAI-compatible chat-completions
 * endpoint, through the official `openai` SDK: OpenAI's, or the cascade's `--llm-url`), which answers
 * with a summary, an outcome label and the fields of the user's JSON schema (`--analysis-schema`),
 * as structured output. Bounded: the transcript sent is cut to MAX_TRANSCRIPT_CHARS (its beginning
 * and its end), the answer to MAX_ANSWER_TOKENS, the whole to `timeoutMs`; an answer that is not
 * JSON of that shape is a failure with its reason, never a guess.
 */
import OpenAI from 'openai';
import { z } from 'zod';
import type { CallRecord, RecordAnalysis } from './call-record.js';

/** The outcome labels the model chooses from. */
export const OUTCOMES = ['resolved', 'unresolved', 'transferred', 'voicemail', 'abandoned', 'other'] as const;
/** Characters of transcript sent: about an hour of speech would be 50 000; the start and end say what the call was and how it ended. */
export const MAX_TRANSCRIPT_CHARS = 24_000;
/** Tokens the answer may take: a summary and a handful of fields. */
export const MAX_ANSWER_TOKENS = 1000;
/** Characters of the fields kept (as JSON): a schema asking for more is asking for a transcript. */
export const MAX_FIELDS_CHARS = 8000;
export const DEFAULT_ANALYSIS_TIMEOUT_MS = 30_000;

export interface AnalysisOptions {
  model: string;
  /** An OpenAI-compatible API base (`http://localhost:11434/v1`); OpenAI's when unset. */
  baseUrl?: string | undefined;
  apiKey?: string | undefined;
  /** The JSON Schema of the fields to extract (an object schema). */
  schema?: Record<string, unknown> | undefined;
  timeoutMs?: number;
}

const INSTRUCTIONS = `You analyse a finished phone call between a caller and an automated agent.
Answer with JSON only: "summary" (two or three sentences: who called, what they wanted, what happened),
"outcome" (one of: ${OUTCOMES.join(', ')}), and "fields" (the values the schema asks for, from the call only;
null where the call does not say). Replies marked [cut] were interrupted: the caller heard only the words before [cut].`;

/** The transcript as the model reads it: who spoke, when, and what the caller heard of cut replies. */
export function transcriptOf(record: CallRecord): string {
  const lines = record.turns
    .filter((turn) => turn.text)
    .map((turn) => {
      const at = `${(turn.startMs / 1000).toFixed(1)}s`;
      if (turn.speaker === 'caller') return `[${at}] caller: ${turn.text}`;
      const said = turn.cut && turn.heard !== undefined ? `${turn.heard} [cut]` : turn.text;
      return `[${at}] agent: ${said}`;
    });
  for (const tool of record.toolCalls)
    lines.push(`[${(tool.atMs / 1000).toFixed(1)}s] tool ${tool.name}(${JSON.stringify(tool.arguments)}) → ${tool.result ?? ''}`);
  for (const press of record.dtmf) if (press.direction === 'in') lines.push(`[${(press.atMs / 1000).toFixed(1)}s] caller pressed ${press.digit}`);
  const text = lines.sort((a, b) => parseFloat(a.slice(1)) - parseFloat(b.slice(1))).join('\n');
  if (text.length <= MAX_TRANSCRIPT_CHARS) return text;
  const half = MAX_TRANSCRIPT_CHARS / 2;
  return `${text.slice(0, half)}\n[… ${text.length - MAX_TRANSCRIPT_CHARS} characters of the middle of the call left out …]\n${text.slice(-half)}`;
}

/** The user's schema as a checker of the model's fields; throws for a schema that is not one. */
export function fieldsChecker(schema: Record<string, unknown> | undefined): z.ZodType {
  return schema ? z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]) : z.record(z.string(), z.unknown());
}

export class CallAnalyst {
  private readonly client: OpenAI;
  private readonly fields: z.ZodType;

  constructor(private readonly options: AnalysisOptions) {
    // One retry: a hiccup is retried, a model that is down is not waited on.
    this.client = new OpenAI({ apiKey: options.apiKey ?? 'none', ...(options.baseUrl ? { baseURL: options.baseUrl } : {}), maxRetries: 1 });
    this.fields = fieldsChecker(options.schema);
  }

  get model(): string {
    return this.options.model;
  }

  /** The analysis of a finished call; never rejects (a failure is the analysis's status, with its reason). */
  async analyse(record: CallRecord, signal?: AbortSignal): Promise<RecordAnalysis> {
    const started = performance.now();
    const model = this.options.model;
    const transcript = transcriptOf(record);
    const took = () => Math.round(performance.now() - started);
    if (!transcript.trim()) return { status: 'skipped', reason: 'nothing was said on the call', model };
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_ANALYSIS_TIMEOUT_MS;
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const completion = await this.client.chat.completions.create(
        {
          model,
          messages: [
            { role: 'system', content: INSTRUCTIONS },
            { role: 'user', content: `The call (${Math.round(record.durationMs / 1000)} s):\n${transcript}` },
          ],
          response_format: { type: 'json_schema', json_schema: { name: 'call_analysis', schema: this.answerSchema() } },
          max_completion_tokens: MAX_ANSWER_TOKENS,
        },
        { signal: signal ? AbortSignal.any([signal, timeout]) : timeout },
      );
      const content = completion.choices[0]?.message?.content ?? '';
      const answer = this.parse(content);
      if (typeof answer === 'string') return { status: 'failed', reason: answer, model, durationMs: took() };
      return { status: 'done', model, ...answer, durationMs: took() };
    } catch (error) {
      const reason = timeout.aborted
        ? `the model did not answer within ${timeoutMs / 1000} s`
        : signal?.aborted
          ? 'the server stopped before the model answered'
          : `the model failed: ${(error as Error)?.message ?? String(error)}`;
      return { status: 'failed', reason: reason.slice(0, 300), model, durationMs: took() };
    }
  }

  /** What the model must answer: the summary, the label, and the user's fields. */
  private answerSchema(): Record<string, unknown> {
    return {
      type: 'object',
      additionalProperties: false,
      required: ['summary', 'outcome', 'fields'],
      properties: {
        summary: { type: 'string', description: 'two or three sentences' },
        outcome: { type: 'string', enum: [...OUTCOMES] },
        fields: this.options.schema ?? { type: 'object', additionalProperties: false, properties: {} },
      },
    };
  }

  /** The answer, or why it is not one. */
  private parse(content: string): { summary: string; outcome: string; fields: Record<string, unknown> } | string {
    let json: unknown;
    try {
      json = JSON.parse(content);
    } catch {
      return `the model's answer is not JSON: ${JSON.stringify(content.slice(0, 80))}`;
    }
    const shape = z.object({ summary: z.string().min(1), outcome: z.enum(OUTCOMES), fields: z.unknown() }).safeParse(json);
    if (!shape.success) return `the model's answer is not a summary, an outcome and fields: ${shape.error.issues[0]?.message ?? ''}`.slice(0, 300);
    const fields = this.fields.safeParse(shape.data.fields ?? {});
    if (!fields.success)
      return `the model's fields do not fit the schema: ${fields.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; ')}`.slice(
        0,
        300,
      );
    const kept = JSON.stringify(fields.data ?? {});
    if (kept.length > MAX_FIELDS_CHARS) return `the model's fields are over ${MAX_FIELDS_CHARS} characters of JSON`;
    return { summary: shape.data.summary.slice(0, 2000), outcome: shape.data.outcome, fields: (fields.data ?? {}) as Record<string, unknown> };
  }
}
