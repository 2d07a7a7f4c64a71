/**
 * Pushed authorization requests (RFC 9126): the authorization parameters
 * (PKCE challenge, state, nonce, login parameters…) go from the BFF to the
 * provider's PAR endpoint, authenticated as the client; the browser is sent
 * to the authorization endpoint with `client_id` and the `request_uri` the
 * provider answered, nothing else.
 */
import { TemporarilyUnavailable } from '../errors.ts';
import { checkAnswer, postToProvider, type ProviderPost } from './token-endpoint.ts';

/** Pushes the query of `authorizationUrl` and returns the URL the browser is sent to. */
export async function pushAuthorizationRequest(authorizationUrl: string, endpoint: string, post: Omit<ProviderPost, 'url' | 'form'>): Promise<string> {
  const url = new URL(authorizationUrl);
  const form = Object.fromEntries(url.searchParams);
  const json = checkAnswer(await postToProvider({ ...post, url: endpoint, form }), 'pushed authorization request endpoint');
  const requestUri = json['request_uri'];
  if (typeof requestUri !== 'string' || !requestUri) throw new TemporarilyUnavailable("The identity provider's PAR endpoint answered without a request_uri.");
  const redirect = new URL(url.origin + url.pathname);
  redirect.searchParams.set('client_id', post.auth.clientId);
  redirect.searchParams.set('request_uri', requestUri);
  return redirect.href;
}
