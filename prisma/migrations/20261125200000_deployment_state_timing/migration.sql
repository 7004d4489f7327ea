-- AlterTable
ALTER TABLE "deployments" ADD COLUMN     "restart_requested_at" TIMESTAMP(3),
ADD COLUMN     "state_changed_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;
