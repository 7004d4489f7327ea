/**
 * HTML built only from escaped text: `html` is a tagged template whose interpolations are escaped unless
 * they are `Html` themselves (the result of another `html`), so markup can be composed but never injected.
 */

/** A fragment of markup that is already safe to emit (made by `html`, never from raw input). */
export class Html {
  readonly #markup: string;

  /** Internal: only `html` and `joinHtml` construct fragments. */
  constructor(markup: string, token: symbol) {
    if (token !== MINT) throw new TypeError('Html fragments are made with the html`` template');
    this.#markup = markup;
  }

  toString(): string {
    return this.#markup;
  }
}

const MINT = Symbol('html');

/** What may appear inside `html`: text (escaped), numbers, fragments, lists of these; nullish/false render nothing. */
export type HtmlValue = string | number | Html | null | undefined | false | readonly HtmlValue[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for an HTML text node or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);
}

function renderValue(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.toString();
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map(renderValue).join('');
  return escapeHtml(String(value));
}

/** The tagged template: html`<p>${userText}</p>` escapes `userText`; nested html`` fragments pass through. */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += renderValue(value) + (strings[i + 1] ?? '');
  });
  return new Html(out, MINT);
}
