import { defineConfig } from 'prisma/config';

// The CLI only generates the client here (see scripts/prisma-generate.mjs); migrations are applied by the app.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
