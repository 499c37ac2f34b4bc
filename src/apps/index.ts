import type { AppDefinition } from './app.js';
import { echoApp } from './echo.js';

export * from './app.js';
export { echo } from './echo.js';

/** Built-in apps selectable with `--app`. */
export const BUILT_IN_APPS: Record<string, AppDefinition> = {
  [echoApp.name]: echoApp,
};
