import { registerAdminRoutes } from '../admin/routes.ts';
import { registerAuditRoutes } from '../audit/routes.ts';
import type { App } from '../http/context.ts';
import { registerInvitationRoutes } from '../teams/routes-invitations.ts';
import { registerLeaveTeam } from '../teams/routes-leave.ts';
import { registerMemberRoutes } from '../teams/routes-members.ts';
import { registerTeamRoutes } from '../teams/routes-teams.ts';
import { registerMeRoutes } from '../users/routes-me.ts';
import { registerAuthRoutes } from './routes-auth.ts';
import { registerKeyRoutes } from './routes-keys.ts';

/** Every route of accounts and access (auth, keys, me, teams, members, invitations, audit, admin). */
export function registerAccountRoutes(app: App): void {
  registerAuthRoutes(app);
  registerKeyRoutes(app);
  registerMeRoutes(app);
  registerTeamRoutes(app);
  registerMemberRoutes(app);
  registerLeaveTeam(app);
  registerInvitationRoutes(app);
  registerAuditRoutes(app);
  registerAdminRoutes(app);
}
