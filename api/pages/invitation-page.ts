import type { Context } from 'hono';
import { z } from '@hono/zod-openapi';
import { auditActor } from '../audit/audit-context.ts';
import { guard } from '../auth/permissions.ts';
import type { App, AppEnv } from '../http/context.ts';
import { AppError } from '../http/errors.ts';
import { MAIL_LINK_PATHS } from '../mail/links.ts';
import { hashToken } from '../platform/ids.ts';
import { acceptInvitation } from '../teams/invitations.ts';
import { readForm } from './csrf.ts';
import { postForm } from './forms.ts';
import { html } from './html.ts';
import { pageRoute, renderPage } from './kit.ts';
import { linkAction, linkToken } from './link-token.ts';
import { SignInFormSchema, signInForm, signInWithForm } from './sign-in.ts';

interface OpenInvitation {
  email: string;
  role: string;
  teamName: string;
}

const StepSchema = z.looseObject({ step: z.enum(['sign_in', 'join']) });

function invalidInvitation(): AppError {
  return new AppError(404, 'invalid_token', 'This invitation is invalid, already used or expired. Ask the team for a new one.');
}

async function findOpenInvitation(c: Context<AppEnv>, token: string | undefined): Promise<OpenInvitation> {
  if (!token) throw invalidInvitation();
  const { db, clock } = c.get('services');
  const row = await db.invitation.findUnique({ where: { tokenHash: hashToken(token) }, include: { team: { select: { name: true } } } });
  if (!row || row.acceptedAt || row.expiresAt <= clock.now()) throw invalidInvitation();
  return { email: row.email, role: row.role, teamName: row.team.name };
}

/** The invitation as the visitor should see it: a join button for the invitee, else a sign-in form. */
function invitationView(c: Context<AppEnv>, token: string, invitation: OpenInvitation, options: { signInError?: string; email?: string; status?: 200 | 400 | 401 } = {}): Response {
  const principal = c.get('principal');
  const action = linkAction('invitation', token);
  const intro = html`<p>You are invited to join <strong>${invitation.teamName}</strong> as <strong>${invitation.role}</strong>.</p>`;
  const isInvitee = principal?.via === 'session' && principal.email === invitation.email && !options.signInError;
  if (isInvitee) {
    return renderPage(c, {
      title: `Join ${invitation.teamName}`,
      status: options.status ?? 200,
      body: html`${intro}
<p>You are signed in as <strong>${principal.email}</strong>.</p>
${postForm(c, { action, content: html`<input type="hidden" name="step" value="join">`, buttons: [{ label: `Join ${invitation.teamName}` }] })}`,
    });
  }
  const who = principal
    ? html`<p>You are signed in as <strong>${principal.email}</strong>, but this invitation is for <strong>${invitation.email}</strong>. Sign in as ${invitation.email} to accept it.</p>`
    : html`<p>Sign in as <strong>${invitation.email}</strong> to accept it. No Hangar account with this address yet? Create one (<code>hangar signup --email ${invitation.email}</code>) and open this link again.</p>`;
  return renderPage(c, {
    title: `Join ${invitation.teamName}`,
    status: options.status ?? 200,
    body: html`${intro}
${who}
${signInForm(c, { action, email: options.email ?? invitation.email, errors: options.signInError ? { password: options.signInError } : {}, extra: html`<input type="hidden" name="step" value="sign_in">` })}`,
  });
}

/**
 * The invitation link's page. GET shows the invitation and changes nothing. A signed-in invitee (session,
 * same email as the invitation) gets a "Join" button; anyone else a sign-in form that comes back here (303).
 * The join POST (CSRF-checked) accepts the invitation exactly like `POST /v1/invitations/accept`. An
 * unknown, used or expired invitation: 404, like the API.
 */
export function registerInvitationPage(app: App): void {
  const path = MAIL_LINK_PATHS.invitation;
  app.get(path, guard({ access: 'public' }), pageRoute(async (c) => {
    const token = linkToken(c, 'invitation');
    const invitation = await findOpenInvitation(c, token);
    return invitationView(c, token ?? '', invitation);
  }));
  app.post(path, guard({ access: 'public' }), pageRoute(async (c) => {
    const token = linkToken(c, 'invitation');
    const form = await readForm(c, StepSchema);
    const invitation = await findOpenInvitation(c, token);
    if (!token || !form.ok) return invitationView(c, token ?? '', invitation, { status: 400 });
    if (form.data.step === 'sign_in') {
      const signIn = SignInFormSchema.safeParse(form.data);
      if (!signIn.success) return invitationView(c, token, invitation, { status: 400, signInError: 'Enter your email address and password', email: String(form.data.email ?? '') });
      const result = await signInWithForm(c, signIn.data);
      if (!result.ok) return invitationView(c, token, invitation, { status: 401, signInError: result.error, email: signIn.data.email });
      return c.redirect(linkAction('invitation', token), 303);
    }
    const principal = c.get('principal');
    if (principal?.via !== 'session' || principal.email !== invitation.email) return invitationView(c, token, invitation, { status: 400 });
    const services = c.get('services');
    const accepted = await acceptInvitation(services, token, { id: principal.userId, email: principal.email });
    await services.audit.record({ ...auditActor(c), action: 'team.member.join', resourceType: 'membership', resourceId: principal.userId, teamId: accepted.teamId, data: { role: accepted.role, invitationId: accepted.id } });
    return renderPage(c, {
      title: `You joined ${invitation.teamName}`,
      body: html`<p class="message">You are now a <strong>${accepted.role}</strong> of <strong>${invitation.teamName}</strong>.</p>`,
    });
  }));
}
