-- AlterTable
ALTER TABLE "deployments" ADD COLUMN     "allow_tools" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "allow_tools_set" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "deny_tools" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- CreateTable
CREATE TABLE "deployment_calls" (
    "id" BIGSERIAL NOT NULL,
    "deployment_id" TEXT NOT NULL,
    "method" TEXT NOT NULL,
    "tool" TEXT,
    "duration_ms" INTEGER NOT NULL,
    "outcome" TEXT NOT NULL,
    "error_code" INTEGER,
    "key_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "deployment_calls_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "deployment_calls_deployment_id_created_at_id_idx" ON "deployment_calls"("deployment_id", "created_at", "id");

-- CreateIndex
CREATE INDEX "deployment_calls_created_at_idx" ON "deployment_calls"("created_at");

-- AddForeignKey
ALTER TABLE "deployment_calls" ADD CONSTRAINT "deployment_calls_deployment_id_fkey" FOREIGN KEY ("deployment_id") REFERENCES "deployments"("id") ON DELETE CASCADE ON UPDATE CASCADE;
