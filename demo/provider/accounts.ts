import { createHash, timingSafeEqual } from 'node:crypto';
import type { Account, FindAccount } from 'oidc-provider';

/** A demo user. `sub` is the stable subject identifier in every token. */
export interface DemoUser {
  sub: string;
  login: string;
  password: string;
  name: string;
  email: string;
  email_verified: boolean;
  preferred_username: string;
}

/** The demo's users: alice/alice and bob/bob. */
export const DEMO_USERS: readonly DemoUser[] = Object.freeze([
  {
    sub: 'alice',
    login: 'alice',
    password: 'alice',
    name: 'Alice Anderson',
    email: 'alice@example.com',
    email_verified: true,
    preferred_username: 'alice',
  },
  {
    sub: 'bob',
    login: 'bob',
    password: 'bob',
    name: 'Bob Brown',
    email: 'bob@example.com',
    email_verified: true,
    preferred_username: 'bob',
  },
]);

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Returns the user when login and password match, comparing in constant time. */
export function authenticate(login: string, password: string): DemoUser | undefined {
  const user = DEMO_USERS.find((u) => u.login === login.trim().toLowerCase());
  // Compare even when the user is unknown, so timing does not reveal which logins exist.
  const ok = timingSafeEqual(digest(password), digest(user?.password ?? '\u0000no-user'));
  return ok ? user : undefined;
}

export function findUser(sub: string): DemoUser | undefined {
  return DEMO_USERS.find((u) => u.sub === sub);
}

/** oidc-provider `findAccount`: the claims returned are filtered by oidc-provider per scope. */
export const findAccount: FindAccount = (_ctx, sub) => {
  const user = findUser(sub);
  if (!user) return undefined;
  const account: Account = {
    accountId: user.sub,
    claims: () => ({
      sub: user.sub,
      name: user.name,
      email: user.email,
      email_verified: user.email_verified,
      preferred_username: user.preferred_username,
    }),
  };
  return account;
};
