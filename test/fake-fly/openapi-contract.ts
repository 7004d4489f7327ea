import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

/**
 * Validates requests against Fly's OpenAPI 3.0 spec (../shared/reference/fly-machines-openapi.json,
 * never copied into this repository): path, method, path/query/header parameters and JSON body.
 * Where the spec is absent, `available` is false and `unavailableReason` says so plainly.
 */

/** Where the spec lives: `../shared/reference/` beside the repository root. */
export const DEFAULT_SPEC_PATH = fileURLToPath(new URL('../../../shared/reference/fly-machines-openapi.json', import.meta.url));

type Json = Record<string, unknown>;

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Json;
}

interface Operation {
  method: string;
  template: string;
  pattern: RegExp;
  pathNames: string[];
  parameters: Parameter[];
  bodyRequired: boolean;
  body: ValidateFunction | undefined;
}

export interface RequestToCheck {
  method: string;
  /** Path without the query string, still percent-encoded. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  /** Raw body text ('' when none). */
  body: string;
}

export interface ContractResult {
  /** The spec's path template the request matched, if any. */
  template: string | undefined;
  pathParams: Record<string, string>;
  issues: string[];
}

/**
 * Places where the real API accepts more than the spec's schema says (../shared/guide/FLY.md): each is
 * documented by Fly's prose docs or by the spec's own descriptions.
 */
const DURATION = { type: ['string', 'integer'], description: 'Go duration string ("15s") or integer nanoseconds (docs)' };
function applyErrata(schemas: Record<string, Json>): void {
  const props = (name: string): Record<string, unknown> => (schemas[name]?.properties ?? {}) as Record<string, unknown>;
  // The docs spell the app name `app_name` on create; the spec says `name`. The real API takes both.
  props('CreateAppRequest').app_name = { type: 'string' };
  // Check and stop durations: the docs also show integer nanoseconds.
  for (const name of ['fly.MachineCheck', 'fly.MachineServiceCheck']) {
    for (const field of ['grace_period', 'interval', 'timeout']) props(name)[field] = DURATION;
  }
  props('fly.StopConfig').timeout = DURATION;
  props('StopRequest').timeout = DURATION;
  // The request's own description: "with values to set, or nil to unset" (Go map[string]*string).
  props('AppSecretsUpdateRequest').values = { type: 'object', additionalProperties: { type: ['string', 'null'] } };
}

/** Query parameters the real API reads that the spec does not declare (FLY.md: delete app `force`, fly-go's `kill`). */
const EXTRA_QUERY: Record<string, Parameter[]> = {
  'DELETE /v1/apps/{app_name}': [{ name: 'force', in: 'query', schema: { type: 'boolean' } }],
  'DELETE /v1/apps/{app_name}/machines/{machine_id}': [{ name: 'kill', in: 'query', schema: { type: 'boolean' } }],
};

/**
 * Makes request schemas strict: an object schema that lists its properties rejects any other. Fly
 * silently drops unknown fields, so a misspelled field (`min_secret_version`) would be lost in
 * production without an error; here it is a contract violation.
 */
function tighten(node: unknown, seen = new Set<unknown>()): void {
  if (!node || typeof node !== 'object' || seen.has(node)) return;
  seen.add(node);
  const schema = node as Json;
  if (schema.properties && schema.additionalProperties === undefined && !schema.allOf && !schema.oneOf && !schema.anyOf) {
    schema.additionalProperties = false;
  }
  for (const value of Object.values(schema)) tighten(value, seen);
}

export class OpenApiContract {
  readonly available: boolean;
  readonly unavailableReason: string | undefined;
  readonly operations: Operation[] = [];
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  private readonly paramValidators = new Map<string, ValidateFunction>();

  constructor(readonly specPath: string = DEFAULT_SPEC_PATH) {
    if (!existsSync(specPath)) {
      this.available = false;
      this.unavailableReason = `Fly OpenAPI spec not found at ${specPath}: requests to the fake Fly API are NOT checked against the contract`;
      return;
    }
    this.available = true;
    this.unavailableReason = undefined;
    const spec = JSON.parse(readFileSync(specPath, 'utf8')) as { paths: Record<string, Json>; components: { schemas: Record<string, Json> } };
    const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => void;
    addFormats(this.ajv);
    applyErrata(spec.components.schemas);
    tighten(spec.components.schemas);
    this.ajv.addSchema({ $id: 'fly', components: spec.components }, 'fly');
    for (const [template, item] of Object.entries(spec.paths)) {
      const shared = (item.parameters ?? []) as Parameter[];
      for (const [method, raw] of Object.entries(item)) {
        if (method === 'parameters') continue;
        const operation = raw as Json;
        const key = `${method.toUpperCase()} ${template}`;
        const parameters = [...shared, ...((operation.parameters ?? []) as Parameter[]), ...(EXTRA_QUERY[key] ?? [])];
        const requestBody = operation.requestBody as { required?: boolean; content?: Record<string, { schema?: Json }> } | undefined;
        const bodySchema = requestBody?.content?.['application/json']?.schema;
        this.operations.push({
          method: method.toUpperCase(),
          template,
          pattern: new RegExp(`^${template.replace(/\{\w+\}/g, '([^/]+)')}$`),
          pathNames: [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!),
          parameters,
          bodyRequired: requestBody?.required === true,
          body: bodySchema ? this.ajv.compile(rebase(bodySchema)) : undefined,
        });
      }
    }
    // Literal segments win over parameters (`/lease` before `{machine_id}`).
    this.operations.sort((a, b) => a.pathNames.length - b.pathNames.length);
  }

  /** True when the spec declares `method template` (e.g. `GET /v1/apps/{app_name}`). */
  has(method: string, template: string): boolean {
    return this.operations.some((op) => op.method === method && op.template === template);
  }

  /** Checks one request; an empty `issues` means the real API's contract accepts it. */
  check(request: RequestToCheck): ContractResult {
    const matches = this.operations.filter((op) => op.pattern.test(request.path));
    if (matches.length === 0) return { template: undefined, pathParams: {}, issues: [`no path ${request.path} in the spec`] };
    const op = matches.find((candidate) => candidate.method === request.method);
    if (!op) return { template: matches[0]!.template, pathParams: {}, issues: [`${request.method} is not an operation on ${matches[0]!.template}`] };
    const issues: string[] = [];
    const values = op.pattern.exec(request.path)!.slice(1);
    const pathParams: Record<string, string> = {};
    op.pathNames.forEach((name, index) => (pathParams[name] = decodeURIComponent(values[index]!)));
    for (const param of op.parameters) {
      if (param.in === 'path') this.checkValue(op, param, pathParams[param.name], issues);
      if (param.in === 'header') this.checkValue(op, param, firstHeader(request.headers[param.name.toLowerCase()]), issues);
      if (param.in === 'query' && !param.name.includes('{')) this.checkValue(op, param, request.query.get(param.name) ?? undefined, issues);
    }
    for (const name of new Set(request.query.keys())) {
      const declared = op.parameters.some(
        (p) => p.in === 'query' && (p.name === name || (p.name.includes('{') && name.startsWith(p.name.slice(0, p.name.indexOf('{'))))),
      );
      if (!declared) issues.push(`query parameter "${name}" is not declared for ${op.method} ${op.template}`);
    }
    this.checkBody(op, request.body, issues);
    return { template: op.template, pathParams, issues };
  }

  private checkBody(op: Operation, text: string, issues: string[]): void {
    if (text.trim() === '') {
      if (op.bodyRequired) issues.push('request body is required');
      return;
    }
    if (!op.body) return void issues.push(`${op.method} ${op.template} takes no request body`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return void issues.push('request body is not JSON');
    }
    if (!op.body(body)) {
      for (const error of op.body.errors ?? []) {
        const extra = (error.params as { additionalProperty?: string }).additionalProperty;
        issues.push(`body${error.instancePath || ''} ${error.message ?? 'is invalid'}${extra ? `: "${extra}"` : ''}`);
      }
    }
  }

  private checkValue(op: Operation, param: Parameter, raw: string | undefined, issues: string[]): void {
    if (raw === undefined) {
      if (param.required) issues.push(`${param.in} parameter "${param.name}" is required`);
      return;
    }
    const schema = param.schema ?? {};
    let value: unknown = raw;
    if (schema.type === 'integer' || schema.type === 'number') value = /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
    if (schema.type === 'boolean') value = raw === 'true' ? true : raw === 'false' ? false : raw;
    const key = `${op.method} ${op.template} ${param.in}:${param.name}`;
    let validate = this.paramValidators.get(key);
    if (!validate) {
      validate = this.ajv.compile(rebase(schema));
      this.paramValidators.set(key, validate);
    }
    if (!validate(value)) issues.push(`${param.in} parameter "${param.name}"=${JSON.stringify(raw)} ${validate.errors?.[0]?.message ?? 'is invalid'}`);
  }
}

/** Points the spec's local `$ref`s at the registered document. */
function rebase(schema: Json): Json {
  return JSON.parse(JSON.stringify(schema).replace(/"\$ref":"#\//g, '"$ref":"fly#/')) as Json;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
