/**
 * The call records as the settings ask for them (records-settings.ts, docs/records.md): nothing at
 * all when none is set. The analysis model's endpoint and key follow the cascade's (LLM_BASE_URL,
 * LLM_API_KEY, else OpenAI's with OPENAI_API_KEY); a setting that cannot work stops the server at
 * start with one line.
 */
import { readFileSync } from 'node:fs';
import { VoicesocketError } from '../errors.js';
import type { CallRegistry } from '../call/call-registry.js';
import type { Logger } from '../call/logger.js';
import type { TimeSource } from '../audio/time-source.js';
import type { CallRecords } from '../records/call-records.js';
import type { RETRY } from '../records/report-sender.js';
import type { ServerConfig } from './config.js';

export interface RecordsRuntime {
  /** Injected time and retry waits of the reports (tests). */
  time?: TimeSource;
  retry?: Partial<typeof RETRY>;
}

export async function startCallRecords(
  config: ServerConfig,
  parts: { registry: CallRegistry; log: Logger; instance: string; appName: string },
  runtime: RecordsRuntime = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<CallRecords | undefined> {
  const tracing = { endpoint: config.otelEndpoint, tracesEndpoint: config.otelTracesEndpoint, protocol: config.otelProtocol };
  const wanted = config.recordCalls || config.callRecords || config.callReportUrl || config.analysisModel || config.otelEndpoint || config.otelTracesEndpoint;
  if (!wanted) return undefined;
  if (config.callReportUrl && !config.callReportSecret)
    throw new VoicesocketError('CONFIG_INVALID', '--call-report-url (CALL_REPORT_URL) needs --call-report-secret (CALL_REPORT_SECRET): reports are signed');
  let analysis;
  if (config.analysisModel) {
    const baseUrl = config.analysisUrl ?? (env.LLM_BASE_URL || undefined);
    const apiKey = env.LLM_API_KEY || config.openaiApiKey;
    if (!baseUrl && !apiKey)
      throw new VoicesocketError(
        'CONFIG_INVALID',
        '--analysis-model needs OPENAI_API_KEY (or LLM_API_KEY), or --analysis-url (ANALYSIS_BASE_URL) for a model server that takes no key',
      );
    const schema = config.analysisSchema ? (JSON.parse(readFileSync(config.analysisSchema, 'utf8')) as Record<string, unknown>) : undefined;
    analysis = { model: config.analysisModel, baseUrl, apiKey, schema };
  }
  // Loaded only when a records setting asks for them: a server that keeps none loads none of it.
  const { CallRecords: Records } = await import('../records/call-records.js');
  return Records.create({
    recordingsDir: config.recordCalls,
    recordsDir: config.callRecords,
    report: config.callReportUrl ? { url: config.callReportUrl, secret: config.callReportSecret!, spoolDir: config.callReportSpool } : undefined,
    analysis,
    tracing,
    registry: parts.registry,
    log: parts.log,
    app: parts.appName,
    instance: parts.instance,
    ...runtime,
  });
}
