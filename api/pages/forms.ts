import type { Context } from 'hono';
import type { AppEnv } from '../http/context.ts';
import { csrfInput } from './csrf.ts';
import { html, type Html } from './html.ts';

/** One labelled input; an error is shown under it and tied to it with aria-describedby. */
export interface FieldSpec {
  name: string;
  label: string;
  type?: 'text' | 'email' | 'password';
  /** e.g. `email`, `current-password`, `new-password`. */
  autocomplete?: string;
  value?: string;
  error?: string;
  hint?: string;
  required?: boolean;
  minLength?: number;
  maxLength?: number;
}

/** A submit button; several buttons in one form tell the handler which was pressed by `name=value`. */
export interface ButtonSpec {
  label: string;
  name?: string;
  value?: string;
  secondary?: boolean;
}

/** Renders one field: label, input, optional hint and error. */
export function inputField(field: FieldSpec): Html {
  const id = `f-${field.name}`;
  const described = [field.hint ? `${id}-hint` : '', field.error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return html`<div class="field">
<label for="${id}">${field.label}</label>
${field.hint ? html`<span class="hint" id="${id}-hint">${field.hint}</span>` : ''}
<input id="${id}" name="${field.name}" type="${field.type ?? 'text'}"${field.autocomplete ? html` autocomplete="${field.autocomplete}"` : ''}${field.value !== undefined ? html` value="${field.value}"` : ''}${field.required === false ? '' : html` required`}${field.minLength ? html` minlength="${field.minLength}"` : ''}${field.maxLength ? html` maxlength="${field.maxLength}"` : ''}${described ? html` aria-describedby="${described}"` : ''}${field.error ? html` aria-invalid="true"` : ''}>
${field.error ? html`<span class="error" id="${id}-error">${field.error}</span>` : ''}
</div>`;
}

/** A summary of a form's errors at its top (role=alert, so screen readers announce it after a submit). */
export function errorSummary(errors: Record<string, string> | undefined, labels: Record<string, string> = {}): Html {
  const entries = Object.entries(errors ?? {});
  if (entries.length === 0) return html``;
  return html`<div class="error-summary" role="alert"><p>Please correct the following:</p><ul>${entries.map(
    ([name, message]) => html`<li>${labels[name] ? html`${labels[name]}: ` : ''}${message}</li>`,
  )}</ul></div>`;
}

/** A POST form with its CSRF token, the given fields (or any markup), and its buttons. */
export function postForm(c: Context<AppEnv>, options: { action: string; content: Html; buttons: readonly ButtonSpec[] }): Html {
  return html`<form method="post" action="${options.action}">
${csrfInput(c)}
${options.content}
<div class="actions">${options.buttons.map(
    (b) => html`<button type="submit"${b.name ? html` name="${b.name}" value="${b.value ?? ''}"` : ''}${b.secondary ? html` class="secondary"` : ''}>${b.label}</button>`,
  )}</div>
</form>`;
}
