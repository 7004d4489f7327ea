import { randomUUID } from 'node:crypto';
import { readFieldStatus, setCommand, type FieldStatus } from './catalog.ts';
import { listOption, splitPair, stringOption, type CommandContext, type OptionValues } from './command.ts';
import { followAndReport } from './deploy-report.ts';
import type { Deployment } from './deployment.ts';
import { CliError, EXIT, UsageError } from './errors.ts';

/** Checks the `--set FIELD=VALUE` pairs against the template: user-tier, not secret, not locked by the team. */
function checkGiven(slug: string, fields: FieldStatus[], given: Record<string, string>): void {
  for (const name of Object.keys(given)) {
    const status = fields.find((f) => f.field.name === name);
    if (!status) throw new UsageError(`${slug} has no field "${name.slice(0, 60)}" (fields: ${fields.map((f) => f.field.name).join(', ') || 'none'})`);
    const { field } = status;
    if (field.type === 'secret') throw new UsageError(`${name} is a secret and is never taken from the command line: leave it out to be asked (hidden), or \`hangar catalog set ${slug} ${name} - --user\``);
    if (field.tier !== 'user') throw new UsageError(`${name} is set by ${field.tier === 'team' ? 'team admins' : 'the template'}, not per deployment`);
    if (status.team?.locked) throw new UsageError(`${name} is locked by the team`);
  }
}

/**
 * `hangar deploy <template>`: works out which required fields have no effective value (defaults, team values,
 * locks, your values, --set), asks for the user-tier ones (secrets hidden), names the team-tier ones a team
 * admin must set, and creates the deployment. One left waiting (`awaiting_config`) is reported, not followed.
 */
export async function deployTemplate(ctx: CommandContext, slug: string, values: OptionValues): Promise<void> {
  for (const flag of ['env', 'secret', 'arg']) {
    if (listOption(values, flag).length > 0) throw new UsageError(`--${flag} is for package deploys; a template takes --set FIELD=VALUE`);
  }
  const given = Object.fromEntries(listOption(values, 'set').map((p) => splitPair(p, '--set')));
  const json = values.json === true;
  const out = ctx.out;
  const say = (text: string) => (json ? ctx.io.stderr.write(`${text}\n`) : out.line(text));
  const api = ctx.api();
  const team = await ctx.resolveTeam(stringOption(values, 'team'));
  const { template, fields } = await readFieldStatus(api, slug, team, new Set(Object.keys(given)));
  if (template.retired) throw new CliError(`The template ${slug} is retired and takes no new deployments`, EXIT.error);
  checkGiven(slug, fields, given);
  say(`${out.bold(template.name)} (${template.slug}): ${template.package}`);

  const deploymentValues: Record<string, string> = { ...given };
  const missing = fields.filter((f) => f.field.required && f.source === undefined);
  for (const { field } of missing.filter((f) => f.field.tier === 'team')) {
    say(out.yellow(`! ${field.name} must be set by a team admin: ${setCommand(slug, field, { team })}`));
  }
  for (const { field } of missing.filter((f) => f.field.tier === 'user')) {
    const hint = field.description ? ` (${field.description})` : '';
    const answer = await ctx.prompt.ask(`${field.name}${hint}, ${field.type === 'secret' ? 'hidden' : field.type}; empty to set it later: `, { hidden: field.type === 'secret' });
    if (answer !== '') deploymentValues[field.name] = answer;
  }

  const body = {
    name: stringOption(values, 'name') ?? slug,
    template: slug,
    values: deploymentValues,
    region: stringOption(values, 'region'),
    size: stringOption(values, 'size'),
  };
  const created = await api.send<Deployment>('POST', `/v1/teams/${encodeURIComponent(team)}/deployments`, body, { 'idempotency-key': randomUUID() });
  if (created.state !== 'awaiting_config') {
    say(`Deploying ${out.bold(created.name)} (${created.id}) in ${created.region}, ${created.size}`);
    return followAndReport(ctx, created, values, { template });
  }
  const waiting = created.missingFields ?? [];
  say(`${out.yellow('…')} ${out.bold(created.name)} (${created.id}) is waiting for configuration; missing: ${waiting.join(', ')}`);
  for (const name of waiting) {
    const field = template.fields.find((f) => f.name === name);
    if (field) say(`  ${setCommand(slug, field, field.tier === 'user' ? 'user' : { team })}`);
  }
  say('It starts by itself once they are set; `hangar status ' + created.id + '` shows where it is.');
  if (json) out.json({ template, deployment: created });
}
