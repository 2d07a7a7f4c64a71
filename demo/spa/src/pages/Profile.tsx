import { RequireAuth, useAuth } from '@portcullis/react';
import type { ReactNode } from 'react';
import { displayName, Loading, SessionError, useTitle } from '../common';

function Claim({ label, id, children }: { label: string; id: string; children: ReactNode }): ReactNode {
  return (
    <div className="claim">
      <dt>{label}</dt>
      <dd data-testid={`profile-${id}`}>{children ?? <span className="muted">—</span>}</dd>
    </div>
  );
}

function Profile(): ReactNode {
  const { user, sub, expiresAt, acr, authTime } = useAuth();
  const expires = expiresAt ? new Date(expiresAt * 1000) : null;
  const authenticated = authTime ? new Date(authTime * 1000) : null;
  const str = (v: unknown) => (typeof v === 'string' && v ? v : null);
  return (
    <section data-testid="profile" aria-labelledby="profile-title">
      <h1 id="profile-title">{displayName(user, sub)}</h1>
      <dl className="claims">
        <Claim label="Name" id="name">
          {str(user?.name)}
        </Claim>
        <Claim label="Email" id="email">
          {str(user?.email)}
        </Claim>
        <Claim label="Username" id="username">
          {str(user?.preferred_username)}
        </Claim>
        <Claim label="Subject (sub)" id="sub">
          <code>{sub}</code>
        </Claim>
        <Claim label="Sign-in level (acr)" id="acr">
          {acr ? <code>{acr}</code> : null}
        </Claim>
        <Claim label="Signed in at" id="auth-time">
          {authenticated ? <time dateTime={authenticated.toISOString()}>{authenticated.toLocaleString()}</time> : null}
        </Claim>
        <Claim label="Session expires" id="expires">
          {expires ? <time dateTime={expires.toISOString()}>{expires.toLocaleString()}</time> : null}
        </Claim>
      </dl>
      <details className="raw">
        <summary>All claims from the ID token</summary>
        <pre data-testid="profile-claims">{JSON.stringify(user, null, 2)}</pre>
      </details>
      <p className="hint">
        These claims come from <code>GET /bff/user</code>. The ID token itself never leaves the BFF.
      </p>
    </section>
  );
}

/** Protected: an anonymous visitor is sent to the login page and comes back here. */
export function ProfilePage(): ReactNode {
  useTitle('Profile');
  return (
    <RequireAuth fallback={<Loading>Checking your session…</Loading>} onError={(e) => <SessionError error={e} />}>
      <Profile />
    </RequireAuth>
  );
}
