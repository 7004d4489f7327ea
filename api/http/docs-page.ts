import { z } from 'zod';

/** The parts of an OpenAPI document the reference page reads. */
const OperationSchema = z.object({
  summary: z.string().optional(),
  description: z.string().optional(),
  tags: z.array(z.string()).optional(),
  parameters: z
    .array(z.object({ name: z.string().optional(), in: z.string().optional(), required: z.boolean().optional(), description: z.string().optional() }))
    .optional(),
  requestBody: z.object({ content: z.record(z.string(), z.object({ schema: z.unknown() })).optional() }).optional(),
  responses: z.record(z.string(), z.object({ description: z.string().optional() })).optional(),
  security: z.array(z.unknown()).optional(),
});

const SpecSchema = z.object({
  info: z.object({ title: z.string(), version: z.string(), description: z.string().optional() }),
  paths: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
});

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

function esc(value: unknown): string {
  return String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/**
 * Renders the API reference as one self-contained HTML page (no scripts, no CDN), so `/docs` works offline
 * and under a strict Content-Security-Policy.
 */
export function renderDocsPage(document: unknown): string {
  const spec = SpecSchema.parse(document);
  const sections: string[] = [];
  const byTag = new Map<string, string[]>();
  for (const [path, item] of Object.entries(spec.paths ?? {})) {
    for (const method of METHODS) {
      const parsed = OperationSchema.safeParse(item[method]);
      if (!parsed.success) continue;
      const op = parsed.data;
      const params = (op.parameters ?? [])
        .map((p) => `<li><code>${esc(p.name)}</code> <em>${esc(p.in)}</em>${p.required ? ' (required)' : ''} ${esc(p.description)}</li>`)
        .join('');
      const body = op.requestBody?.content?.['application/json']?.schema;
      const responses = Object.entries(op.responses ?? {})
        .map(([status, r]) => `<li><code>${esc(status)}</code> ${esc(r.description)}</li>`)
        .join('');
      const html =
        `<article class="op" id="${esc(`${method}-${path}`)}"><h3><span class="m ${method}">${method.toUpperCase()}</span> <code>${esc(path)}</code></h3>` +
        `<p>${esc(op.summary)}</p>${op.description ? `<p>${esc(op.description)}</p>` : ''}` +
        `${op.security && op.security.length === 0 ? '<p class="pub">No authentication</p>' : ''}` +
        `${params ? `<h4>Parameters</h4><ul>${params}</ul>` : ''}` +
        `${body ? `<h4>Request body</h4><pre>${esc(JSON.stringify(body, null, 2))}</pre>` : ''}` +
        `${responses ? `<h4>Responses</h4><ul>${responses}</ul>` : ''}</article>`;
      const tag = op.tags?.[0] ?? 'other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), html]);
    }
  }
  for (const [tag, ops] of [...byTag.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    sections.push(`<section><h2>${esc(tag)}</h2>${ops.join('')}</section>`);
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(spec.info.title)} reference</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
code,pre{font-family:ui-monospace,monospace}pre{background:#f4f5f7;padding:.75rem;overflow:auto}
.op{border-top:1px solid #ddd;padding:.5rem 0}.m{font-weight:700;padding:0 .4rem;border-radius:3px;color:#fff;background:#555}
.get{background:#2f6fb2}.post{background:#2f8a4c}.put,.patch{background:#a3700c}.delete{background:#b23a2f}.pub{color:#666}</style>
</head><body><h1>${esc(spec.info.title)} <small>${esc(spec.info.version)}</small></h1><p>${esc(spec.info.description)}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>${sections.join('')}</body></html>`;
}
