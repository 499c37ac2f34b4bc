import type { AppDefinition } from './app.js';
import { echoApp } from './echo.js';
import { delayEchoApp } from './delay-echo.js';
import { playApp } from './play.js';
import { recordApp } from './record.js';
import { dtmfMenuApp } from './dtmf-menu.js';
import { transcribeApp } from './transcribe.js';
import { voiceMenuApp } from './voice-menu.js';
import { parrotApp } from './parrot.js';
import { agentApp } from './agent.js';

export * from './app.js';
export { echo } from './echo.js';
export { delayEcho } from './delay-echo.js';
export { playPrompt } from './play.js';
export { recordCalls } from './record.js';
export { dtmfMenu } from './dtmf-menu.js';
export { transcribeCalls } from './transcribe.js';
export { voiceMenu, choiceIn } from './voice-menu.js';
export { parrot } from './parrot.js';
export { voiceAgent, type VoiceAgentOptions } from './agent.js';
export { bargeIn, type BargeIn } from './barge-in.js';

/** Built-in apps selectable with `--app`. */
export const BUILT_IN_APPS: Record<string, AppDefinition> = Object.fromEntries(
  [echoApp, delayEchoApp, playApp, recordApp, dtmfMenuApp, transcribeApp, voiceMenuApp, parrotApp, agentApp].map((app) => [app.name, app]),
);
