import { createRequire } from 'node:module';
import type pg from 'pg';
import { z } from 'zod';

/**
 * Compares `schema.prisma` with a migrated database: tables, columns (type, nullability, default present),
 * enums, indexes (primary, unique, plain) and foreign keys (columns, target, on-delete). The migrations are
 * hand-written SQL (Prisma's schema engine cannot be downloaded here), so this is what catches drift.
 */

const FieldSchema = z.object({
  name: z.string(),
  dbName: z.string().nullish(),
  kind: z.enum(['scalar', 'enum', 'object', 'unsupported']),
  type: z.string(),
  isList: z.boolean(),
  isRequired: z.boolean(),
  hasDefaultValue: z.boolean(),
  relationFromFields: z.array(z.string()).optional(),
  relationToFields: z.array(z.string()).optional(),
  relationOnDelete: z.string().optional(),
});

const DmmfSchema = z.object({
  datamodel: z.object({
    enums: z.array(z.object({ name: z.string(), dbName: z.string().nullish(), values: z.array(z.object({ name: z.string() })) })),
    models: z.array(z.object({ name: z.string(), dbName: z.string().nullish(), fields: z.array(FieldSchema) })),
    indexes: z.array(
      z.object({ model: z.string(), type: z.enum(['id', 'unique', 'normal', 'fulltext']), fields: z.array(z.object({ name: z.string() })) }),
    ),
  }),
});

type Dmmf = z.infer<typeof DmmfSchema>['datamodel'];

/** Parses a Prisma schema with Prisma's own parser (WebAssembly, no engine download). */
export function parsePrismaSchema(schema: string): Dmmf {
  const require = createRequire(import.meta.url);
  const wasm = require('@prisma/prisma-schema-wasm') as { get_dmmf(params: string): string };
  return DmmfSchema.parse(JSON.parse(wasm.get_dmmf(JSON.stringify({ prismaSchema: [['schema.prisma', schema]] })))).datamodel;
}

const SCALAR_UDT: Record<string, string> = {
  String: 'text',
  Int: 'int4',
  BigInt: 'int8',
  Boolean: 'bool',
  DateTime: 'timestamp',
  Json: 'jsonb',
  Bytes: 'bytea',
  Float: 'float8',
  Decimal: 'numeric',
};

const ON_DELETE: Record<string, string> = { Cascade: 'c', SetNull: 'n', Restrict: 'r', NoAction: 'a', SetDefault: 'd' };

/** One line per fact, so a difference reads as "missing: ..." / "unexpected: ...". */
function expectedFacts(dm: Dmmf): Set<string> {
  const facts = new Set<string>();
  const enumDbName = new Map(dm.enums.map((e) => [e.name, e.dbName ?? e.name]));
  for (const e of dm.enums) facts.add(`enum ${e.dbName ?? e.name} (${e.values.map((v) => v.name).join(', ')})`);
  const tables = new Map(dm.models.map((m) => [m.name, m]));
  const column = (modelName: string, field: string) => {
    const model = tables.get(modelName);
    const f = model?.fields.find((x) => x.name === field);
    return f?.dbName ?? field;
  };
  for (const model of dm.models) {
    const table = model.dbName ?? model.name;
    facts.add(`table ${table}`);
    for (const f of model.fields) {
      if (f.kind === 'object') {
        if (f.relationFromFields && f.relationFromFields.length > 0) {
          const target = tables.get(f.type);
          const onDelete = f.relationOnDelete ?? (f.isRequired ? 'Restrict' : 'SetNull');
          facts.add(
            `fk ${table}(${f.relationFromFields.map((x) => column(model.name, x)).join(',')}) -> ` +
              `${target?.dbName ?? f.type}(${(f.relationToFields ?? []).map((x) => column(f.type, x)).join(',')}) on delete ${ON_DELETE[onDelete]}`,
          );
        }
        continue;
      }
      const base = f.kind === 'enum' ? (enumDbName.get(f.type) ?? f.type) : (SCALAR_UDT[f.type] ?? f.type);
      const type = f.isList ? `_${base}` : base;
      // Prisma leaves scalar lists nullable in PostgreSQL, whatever the schema says.
      const nullable = f.isList ? 'list' : f.isRequired ? 'not null' : 'null';
      facts.add(`column ${table}.${f.dbName ?? f.name} ${type} ${nullable} ${f.hasDefaultValue ? 'default' : 'no default'}`);
    }
  }
  for (const index of dm.indexes) {
    const model = tables.get(index.model);
    if (!model) continue;
    const kind = index.type === 'id' ? 'primary' : index.type === 'unique' ? 'unique' : 'index';
    facts.add(`${kind} ${model.dbName ?? model.name}(${index.fields.map((x) => column(index.model, x.name)).join(',')})`);
  }
  return facts;
}

async function actualFacts(pool: pg.Pool): Promise<Set<string>> {
  const facts = new Set<string>();
  const ignore = "('_prisma_migrations')";
  const enums = await pool.query<{ name: string; labels: string[] }>(
    `SELECT t.typname AS name, array_agg(e.enumlabel ORDER BY e.enumsortorder)::text[] AS labels
       FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = current_schema() GROUP BY t.typname`,
  );
  for (const e of enums.rows) facts.add(`enum ${e.name} (${e.labels.join(', ')})`);
  const tables = await pool.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables
      WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name NOT IN ${ignore}`,
  );
  for (const t of tables.rows) facts.add(`table ${t.table_name}`);
  const columns = await pool.query<{ table_name: string; column_name: string; udt_name: string; is_nullable: string; data_type: string; has_default: boolean }>(
    `SELECT table_name, column_name, udt_name, is_nullable, data_type, column_default IS NOT NULL AS has_default
       FROM information_schema.columns WHERE table_schema = current_schema() AND table_name NOT IN ${ignore}`,
  );
  for (const c of columns.rows) {
    const nullable = c.data_type === 'ARRAY' ? 'list' : c.is_nullable === 'YES' ? 'null' : 'not null';
    facts.add(`column ${c.table_name}.${c.column_name} ${c.udt_name} ${nullable} ${c.has_default ? 'default' : 'no default'}`);
  }
  const indexes = await pool.query<{ table_name: string; is_primary: boolean; is_unique: boolean; columns: string[] }>(
    `SELECT t.relname AS table_name, i.indisprimary AS is_primary, i.indisunique AS is_unique,
            array(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns
       FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname = current_schema() AND t.relname NOT IN ${ignore}`,
  );
  for (const i of indexes.rows) {
    const kind = i.is_primary ? 'primary' : i.is_unique ? 'unique' : 'index';
    facts.add(`${kind} ${i.table_name}(${i.columns.join(',')})`);
  }
  const fks = await pool.query<{ table_name: string; columns: string[]; target: string; target_columns: string[]; on_delete: string }>(
    `SELECT t.relname AS table_name, f.relname AS target, c.confdeltype AS on_delete,
            array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns,
            array(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS target_columns
       FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class f ON f.oid = c.confrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE c.contype = 'f' AND n.nspname = current_schema()`,
  );
  for (const fk of fks.rows) {
    facts.add(`fk ${fk.table_name}(${fk.columns.join(',')}) -> ${fk.target}(${fk.target_columns.join(',')}) on delete ${fk.on_delete}`);
  }
  return facts;
}

export interface SchemaDiff {
  /** In schema.prisma but not in the database. */
  missing: string[];
  /** In the database but not in schema.prisma. */
  unexpected: string[];
}

/** Differences between the Prisma schema text and the database behind `pool` (empty lists: they agree). */
export async function diffSchema(pool: pg.Pool, schema: string): Promise<SchemaDiff> {
  const expected = expectedFacts(parsePrismaSchema(schema));
  const actual = await actualFacts(pool);
  return {
    missing: [...expected].filter((f) => !actual.has(f)).sort(),
    unexpected: [...actual].filter((f) => !expected.has(f)).sort(),
  };
}
