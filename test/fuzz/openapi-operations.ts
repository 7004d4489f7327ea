import { hostileKey, hostileString, hostileValue } from './hostile-values.ts';
import type { Rng } from './rng.ts';

/** A JSON Schema node as @hono/zod-openapi publishes it (OpenAPI 3.1), the parts the fuzzer reads. */
export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  example?: unknown;
  default?: unknown;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  format?: string;
}

export interface Operation {
  method: string;
  /** Hono form: `/v1/deployments/:id`. */
  path: string;
  pathParams: string[];
  queryParams: string[];
  body: JsonSchema | undefined;
}

interface OpenApiDoc {
  paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string }>; requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

/** Every operation of an OpenAPI document, with its parameters and JSON body schema ($refs resolved). */
export function listOperations(doc: OpenApiDoc): { operations: Operation[]; resolve: (s: JsonSchema) => JsonSchema } {
  const schemas = doc.components?.schemas ?? {};
  const resolve = (schema: JsonSchema): JsonSchema => {
    let current = schema;
    for (let hops = 0; current.$ref && hops < 10; hops += 1) current = schemas[current.$ref.replace('#/components/schemas/', '')] ?? {};
    return current;
  };
  const operations: Operation[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const params = op.parameters ?? [];
      operations.push({
        method: method.toUpperCase(),
        path: path.replace(/\{(\w+)\}/g, ':$1'),
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: params.filter((p) => p.in === 'query').map((p) => p.name),
        body: op.requestBody?.content?.['application/json']?.schema,
      });
    }
  }
  return { operations, resolve };
}

/** A value the schema probably accepts: its example, default, enum or const first, then a typed filler. */
export function plausibleValue(schema: JsonSchema, resolve: (s: JsonSchema) => JsonSchema, rng: Rng, depth = 0): unknown {
  const s = resolve(schema);
  if (s.example !== undefined && rng.chance(0.8)) return structuredClone(s.example);
  if (s.const !== undefined) return s.const;
  if (s.enum && s.enum.length > 0) return rng.pick(s.enum);
  if (s.default !== undefined && rng.chance(0.5)) return structuredClone(s.default);
  const variants = s.anyOf ?? s.oneOf;
  if (variants && variants.length > 0) return plausibleValue(rng.pick(variants), resolve, rng, depth + 1);
  if (s.allOf && s.allOf.length > 0) return plausibleValue(s.allOf[0] as JsonSchema, resolve, rng, depth + 1);
  const type = Array.isArray(s.type) ? rng.pick(s.type) : s.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      if (depth > 6) return out;
      for (const [key, child] of Object.entries(s.properties ?? {})) {
        if ((s.required ?? []).includes(key) || rng.chance(0.5)) out[key] = plausibleValue(child, resolve, rng, depth + 1);
      }
      return out;
    }
    case 'array':
      return depth > 6 || !s.items ? [] : Array.from({ length: Math.max(s.minItems ?? 0, rng.int(0, 2)) }, () => plausibleValue(s.items as JsonSchema, resolve, rng, depth + 1));
    case 'string':
      if (s.format === 'email') return `fuzz-${rng.int(0, 1e9)}@example.com`;
      if (s.format === 'date-time') return new Date(Date.UTC(2026, 0, 1)).toISOString();
      return 'f'.repeat(Math.max(s.minLength ?? 1, Math.min(8, s.maxLength ?? 8)));
    case 'integer':
    case 'number':
      return s.minimum ?? 1;
    case 'boolean':
      return rng.chance(0.5);
    case 'null':
      return null;
    default:
      return 'x';
  }
}

/** Replaces one random leaf (or the root) of `value` with a hostile value, adds a hostile key, or drops a key. */
export function mutate(value: unknown, rng: Rng): unknown {
  if (value === null || typeof value !== 'object' || rng.chance(0.1)) return hostileValue(rng);
  const container = value as Record<string, unknown>;
  const keys = Object.keys(container);
  const roll = rng.float();
  if (keys.length === 0 || roll < 0.15) {
    const key = hostileKey(rng);
    Object.defineProperty(container, key, { value: hostileValue(rng), enumerable: true, configurable: true, writable: true });
    return container;
  }
  const key = rng.pick(keys);
  if (roll < 0.3) {
    delete container[key];
    return container;
  }
  const child = container[key];
  container[key] = child !== null && typeof child === 'object' && rng.chance(0.5) ? mutate(child, rng) : rng.chance(0.5) ? hostileString(rng) : hostileValue(rng, 1);
  return container;
}
