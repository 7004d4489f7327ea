-- AlterTable
ALTER TABLE "deployments" ADD COLUMN     "failure_code" TEXT,
ADD COLUMN     "last_error" TEXT,
ADD COLUMN     "last_error_at" TIMESTAMP(3),
ADD COLUMN     "start_requested_at" TIMESTAMP(3);
