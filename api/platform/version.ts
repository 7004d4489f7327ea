import { readFileSync } from 'node:fs';

/** Hangar's own version (package.json), read once: metrics, machine metadata and the OpenAPI document show it. */
export const HANGAR_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
