import { z } from '@hono/zod-openapi';
import type { Template } from '../db/generated/client.ts';
import { TemplateSlugSchema } from '../deployments/schemas.ts';
import { PackageSpecSchema } from '../packages/package-spec.ts';
import { FIELD_TIERS, FIELD_TYPES, FieldSchema, storedFields } from './fields.ts';

export { TemplateSlugSchema };

/** The most fields one template may declare. */
export const MAX_FIELDS = 50;

const NameSchema = z.string().trim().min(1).max(80).openapi({ description: 'Display name', example: 'GitHub' });
const DescriptionSchema = z.string().max(2000).openapi({ description: 'What the server does', example: 'Repositories, issues and pull requests through the GitHub API' });
const ArgsSchema = z.array(z.string().max(4096)).max(100).openapi({ description: 'Arguments the server is launched with', example: [] });
const FieldsSchema = z.array(FieldSchema).max(MAX_FIELDS).openapi({ description: 'Configuration schema: one entry per environment variable' });

export const CreateTemplateSchema = z
  .object({
    slug: TemplateSlugSchema,
    name: NameSchema,
    description: DescriptionSchema.default(''),
    package: PackageSpecSchema,
    args: ArgsSchema.default([]),
    fields: FieldsSchema.default([]),
  })
  .strict()
  .openapi('CreateTemplate');

export type CreateTemplateInput = z.infer<typeof CreateTemplateSchema>;

export const UpdateTemplateSchema = z
  .object({ name: NameSchema.optional(), description: DescriptionSchema.optional(), package: PackageSpecSchema.optional(), args: ArgsSchema.optional(), fields: FieldsSchema.optional() })
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'name at least one field to change')
  .openapi('UpdateTemplate');

export type UpdateTemplateInput = z.infer<typeof UpdateTemplateSchema>;

export const TemplateSchema = z
  .object({
    slug: z.string().openapi({ example: 'github' }),
    name: z.string().openapi({ example: 'GitHub' }),
    description: z.string(),
    package: z.string().openapi({ description: 'Package spec with its allowed version range', example: 'npm:@modelcontextprotocol/server-github@^2025.4.8' }),
    args: z.array(z.string()),
    fields: z.array(FieldSchema),
    retired: z.boolean().openapi({ description: 'Retired templates accept no new deployments', example: false }),
    retiredAt: z.string().nullable().openapi({ example: null }),
    createdAt: z.string().openapi({ example: '2026-01-01T00:00:00.000Z' }),
    updatedAt: z.string().openapi({ example: '2026-01-01T00:00:00.000Z' }),
  })
  .openapi('Template');

export type TemplateView = z.infer<typeof TemplateSchema>;

/** The public shape of a template (it holds no secret: secret fields have no default). */
export function templateView(row: Template): TemplateView {
  return {
    slug: row.slug,
    name: row.name,
    description: row.description,
    package: row.packageSpec,
    args: row.args,
    fields: storedFields(row.fields),
    retired: row.retiredAt !== null,
    retiredAt: row.retiredAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export const TemplatePageSchema = z.object({ data: z.array(TemplateSchema), nextCursor: z.string().nullable().openapi({ example: null }) }).openapi('TemplatePage');

export const TemplateListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ param: { name: 'limit', in: 'query' }, example: 50 }),
  cursor: z.string().max(200).optional().openapi({ param: { name: 'cursor', in: 'query' }, description: 'Opaque cursor from `nextCursor`' }),
  retired: z.enum(['true', 'false']).default('false').openapi({ param: { name: 'retired', in: 'query' }, description: 'Include retired templates', example: 'false' }),
});

export const SlugParams = z.object({
  slug: z.string().min(1).max(64).openapi({ param: { name: 'slug', in: 'path' }, description: 'Template slug', example: 'github' }),
});

export const TeamSlugParams = z.object({
  team: z.string().min(1).max(64).openapi({ param: { name: 'team', in: 'path' }, description: 'Team id or slug', example: 'team_0123456789abcdef' }),
  slug: SlugParams.shape.slug,
});

const ValueInput = z.union([z.string().max(32 * 1024), z.number(), z.boolean(), z.null()]);
const ValuesRecord = z
  .record(z.string().max(128), ValueInput)
  .refine((v) => Object.keys(v).length <= MAX_FIELDS, `at most ${MAX_FIELDS} values`)
  .openapi({ description: 'Field name to value; null clears it. Fields not named are left as they are', example: { GITHUB_PERSONAL_ACCESS_TOKEN: 'ghp_...' } });

export const PutTeamValuesSchema = z
  .object({
    values: ValuesRecord.default({}),
    locked: z
      .record(z.string().max(128), z.boolean())
      .default({})
      .openapi({ description: 'Field name to lock state: a locked team value wins over every user value', example: { GITHUB_API_URL: true } }),
  })
  .strict()
  .openapi('PutTeamTemplateValues');

export const PutUserValuesSchema = z.object({ values: ValuesRecord }).strict().openapi('PutUserTemplateValues');

export const FieldValueSchema = z
  .object({
    name: z.string().openapi({ example: 'GITHUB_PERSONAL_ACCESS_TOKEN' }),
    type: z.enum(FIELD_TYPES),
    tier: z.enum(FIELD_TIERS),
    required: z.boolean(),
    description: z.string(),
    default: z.union([z.string(), z.number(), z.boolean()]).nullable().openapi({ description: 'Template default', example: null }),
    set: z.boolean().openapi({ description: 'Whether this tier holds a value', example: true }),
    value: z.union([z.string(), z.number(), z.boolean()]).nullable().openapi({ description: "This tier's value; secrets are always `*****`", example: '*****' }),
    locked: z.boolean().openapi({ description: 'Team tier: members cannot override it', example: false }),
    updatedAt: z.string().nullable(),
  })
  .openapi('TemplateFieldValue');

export const TemplateValuesSchema = z
  .object({
    template: z.string().openapi({ example: 'github' }),
    scope: z.enum(['team', 'user']),
    fields: z.array(FieldValueSchema),
  })
  .openapi('TemplateValues');

export type TemplateValuesView = z.infer<typeof TemplateValuesSchema>;
