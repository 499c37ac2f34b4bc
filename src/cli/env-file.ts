/**
 * `.env` in the working directory, as every Vonage sample keeps its credentials: read once at start,
 * never overriding a variable the environment already has (flags > environment > .env > defaults).
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';

export function loadDotEnv(path = resolve('.env'), env: NodeJS.ProcessEnv = process.env): string[] {
  if (!existsSync(path)) return [];
  const loaded: string[] = [];
  for (const [name, value] of Object.entries(parseEnv(readFileSync(path, 'utf8')))) {
    if (value === undefined || env[name] !== undefined) continue;
    env[name] = value;
    loaded.push(name);
  }
  return loaded;
}

/**
 * Sets variables in `.env`, keeping every other line (comments included) as it was; creates the file
 * readable by its owner only, since it holds credentials.
 */
export async function updateDotEnv(path: string, values: Record<string, string>): Promise<void> {
  const lines = existsSync(path) ? readFileSync(path, 'utf8').split('\n') : [];
  if (lines.at(-1) === '') lines.pop();
  for (const [name, value] of Object.entries(values)) {
    const line = `${name}=${/^[\w./:@+-]*$/.test(value) ? value : JSON.stringify(value)}`;
    const at = lines.findIndex((existing) => new RegExp(`^\\s*(export\\s+)?${name}\\s*=`).test(existing));
    if (at >= 0) lines[at] = line;
    else lines.push(line);
  }
  await writeFile(path, `${lines.join('\n')}\n`, { mode: 0o600 });
}
