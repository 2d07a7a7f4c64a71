/**
 * The authorization parameters a browser may choose at `/bff/login`
 * (`prompt`, `max_age`, `acr_values`, `login_hint`, `ui_locales` by default):
 * each validated, sizes bounded, no control characters. Any other query
 * parameter is refused by name before anything is stored or redirected:
 * the protocol parameters (`scope`, `redirect_uri`, `state`, `nonce`,
 * `code_challenge`…) are the BFF's alone.
 */
import { InvalidRequest } from '../errors.ts';

/** The login parameters to forward, by name. */
export type LoginParams = Record<string, string>;

/** OpenID Connect Core §3.1.2.1 prompt values; `none` goes alone. */
const PROMPTS = new Set(['none', 'login', 'consent', 'select_account', 'create']);
const MAX_LENGTH = 512;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * The forwarded parameters of a `/bff/login` query (`returnTo` aside), or throws `InvalidRequest`
 * naming the first parameter that is not allowed, repeated or malformed.
 */
export function loginParams(query: Record<string, string | string[] | undefined>, allowed: readonly string[]): LoginParams {
  const params: LoginParams = {};
  for (const [name, value] of Object.entries(query)) {
    if (name === 'returnTo') continue;
    if (!allowed.includes(name)) throw new InvalidRequest(`The "${name.slice(0, 64)}" parameter is not accepted at login: allowed are returnTo, ${allowed.join(', ')}.`);
    if (Array.isArray(value)) throw new InvalidRequest(`The "${name}" parameter must appear at most once.`);
    if (value === undefined || value === '') continue;
    if (value.length > MAX_LENGTH || CONTROL.test(value)) throw new InvalidRequest(`The "${name}" parameter is too long or contains control characters.`);
    check(name, value);
    params[name] = value;
  }
  return params;
}

function check(name: string, value: string): void {
  switch (name) {
    case 'prompt': {
      const values = value.split(' ');
      if (!values.every((v) => PROMPTS.has(v)) || new Set(values).size !== values.length || (values.includes('none') && values.length > 1)) {
        throw new InvalidRequest('The "prompt" parameter must be none, or any of login, consent, select_account, create separated by spaces.');
      }
      return;
    }
    case 'max_age':
      if (!/^(0|[1-9][0-9]{0,9})$/.test(value)) throw new InvalidRequest('The "max_age" parameter must be a non-negative whole number of seconds.');
      return;
    case 'acr_values':
    case 'ui_locales':
      if (!/^[\x21-\x7e]+( [\x21-\x7e]+)*$/.test(value)) throw new InvalidRequest(`The "${name}" parameter must be space-separated values.`);
      return;
    default:
  }
}
