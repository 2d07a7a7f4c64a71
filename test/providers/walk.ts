/**
 * The walk every profile of the matrix runs against its simulated provider:
 * login, `/bff/user`, a proxied call, a refresh, logout (through the
 * provider when it has an end-session, back on the app), then back- or
 * front-channel logout where the provider has it, and front-channel
 * requests that must end nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import type { BffOptions } from '@portcullis/bff';
import { BffClient } from '../helpers/bff-client.ts';
import { browse } from '../helpers/cookie-jar.ts';
import { authOf, eventually, expireAccessToken } from '../helpers/sessions.ts';
import { signIn, signOut, startMatrix, throughProvider, type MatrixStack, type ProfileName } from './matrix.ts';
import { ALICE, type ProviderBehaviour } from './provider.ts';

/** What a profile's walk expects. */
export interface WalkCase {
  profile: ProfileName;
  behaviour: ProviderBehaviour;
  /** Extra BFF options. */
  bff?: Partial<BffOptions>;
  /** Checks on the authorization request the BFF sent. */
  authorization(query: URLSearchParams): void;
  /** `provider`: logout goes through the provider's end-session and back; `local`: the BFF's session only. */
  logout: 'provider' | 'local';
  /** Checks on the end-session request the provider received. */
  endSession?(query: URLSearchParams, idToken: string): void;
  /** How the provider ends sessions here by itself. */
  channel?: 'back' | 'front';
}

/** Defines the walk's tests for one profile (one provider, started once). */
export function walk(name: string, c: WalkCase): void {
  describe(name, () => {
    let stack: MatrixStack;
    beforeAll(async () => {
      stack = await startMatrix(c.profile, c.behaviour, c.bff);
    });
    afterAll(() => stack?.stop());

    it('login, /bff/user (userinfo claims where the ID token is thin), a proxied call, a refresh, logout', async () => {
      const { tab, landed } = await signIn(stack);
      expect(landed.url).toBe(`${stack.baseUrl}/`);
      c.authorization(stack.provider.authorizations.at(-1)!);

      const user = await tab.user();
      expect(user.status).toBe(200);
      expect(user.body).toMatchObject({ sub: ALICE.sub, claims: { email: ALICE.email, name: ALICE.name } });
      const auth = (await authOf(stack.bff, tab))!;
      if (c.behaviour.thinIdToken) expect(decodeJwt(auth.tokens.idToken)['email']).toBeUndefined();

      const proxied = await tab.fetch('/api/echo');
      expect(proxied.status).toBe(200);
      expect(stack.upstreamSeen.at(-1)).toBe(`Bearer ${auth.tokens.accessToken}`);

      expect(auth.tokens.refreshToken).toBeTruthy();
      await expireAccessToken(stack.bff, tab);
      const refreshed = await tab.fetch('/api/echo');
      expect(refreshed.status).toBe(200);
      const after = (await authOf(stack.bff, tab))!;
      expect(after.tokens.accessToken).not.toBe(auth.tokens.accessToken);
      expect(stack.upstreamSeen.at(-1)).toBe(`Bearer ${after.tokens.accessToken}`);
      expect(stack.provider.grants['refresh_token']).toBeGreaterThanOrEqual(1);

      const { first, landed: back } = await signOut(stack, tab, user.body['logoutUrl'] as string);
      expect(first.status).toBe(302);
      expect(first.headers.get('portcullis-logout')).toBe(c.logout);
      expect((await tab.user()).status).toBe(401);
      const home = new URL(back.url);
      expect(`${home.origin}${home.pathname}`).toBe(`${stack.baseUrl}/`);
      expect(back.response.status).toBe(200);
      const again = await tab.navigate('/bff/login');
      if (c.logout === 'provider') {
        const sent = new URL(first.headers.get('location')!).searchParams.get('state');
        expect(sent).toMatch(/^[A-Za-z0-9_-]{43}$/);
        if (c.behaviour.endSession.style === 'oidc') expect(home.searchParams.get('state')).toBe(sent);
        c.endSession?.(stack.provider.endSessions.at(-1)!, after.tokens.idToken);
        // The provider forgot the user: the next login asks again.
        expect(again.url.startsWith(stack.provider.issuer)).toBe(true);
        expect(await again.response.text()).toContain('name="password"');
      } else {
        // No end-session at this provider: its session lives on, the next login asks for no password
        // (straight back to the app, or only a consent screen where the profile sends prompt=consent).
        expect(again.url === `${stack.baseUrl}/` || !(await again.response.text()).includes('name="password"')).toBe(true);
      }
    });

    if (c.channel === 'back') {
      it('back-channel: the provider ends the session here when its own session ends', async () => {
        const { tab } = await signIn(stack);
        expect((await tab.user()).status).toBe(200);
        await throughProvider(tab.jar, await browse(tab.jar, `${stack.provider.issuer}/session/end`), stack.provider.issuer);
        await eventually(async () => (await tab.user()).status === 401);
      });
    }

    if (c.channel === 'front') {
      it('front-channel: the iframe URL (no cookie) ends every session of that sid', async () => {
        const { tab } = await signIn(stack);
        const { sid } = (await authOf(stack.bff, tab))!;
        expect(sid).toBeTruthy();
        const response = await fetch(`${stack.baseUrl}/bff/frontchannel-logout?${new URLSearchParams({ iss: stack.provider.issuer, sid: sid! })}`);
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toMatch(/^text\/html/);
        expect(response.headers.get('cache-control')).toBe('no-store');
        expect(response.headers.get('content-security-policy')).toContain(`frame-ancestors ${stack.provider.issuer}`);
        expect((await tab.user()).status).toBe(401);
      });
    }

    it("a prompt chosen at /bff/login replaces the profile's own, never sent twice", async () => {
      const response = await new BffClient(stack.baseUrl).fetch('/bff/login?prompt=login', { csrf: false });
      expect(response.status).toBe(302);
      expect(new URL(response.headers.get('location')!).searchParams.getAll('prompt')).toEqual(['login']);
    });

    it('front-channel requests with a wrong iss, no sid or an unknown sid end nothing', async () => {
      const { tab } = await signIn(stack);
      const { sid } = (await authOf(stack.bff, tab))!;
      const call = (query: Record<string, string>) => fetch(`${stack.baseUrl}/bff/frontchannel-logout?${new URLSearchParams(query)}`);
      const wrongIss = await call({ iss: 'http://evil.example', sid: sid ?? 'x' });
      expect(wrongIss.status).toBe(400);
      expect(wrongIss.headers.get('content-security-policy')).toContain('frame-ancestors');
      expect((await call({ iss: stack.provider.issuer })).status).toBe(400);
      expect((await call({ sid: sid ?? 'x' })).status).toBe(400);
      expect((await call({ iss: stack.provider.issuer, sid: 'unknown-sid' })).status).toBe(200);
      expect((await tab.user()).status).toBe(200);
    });
  });
}
