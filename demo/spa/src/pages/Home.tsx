import { useAuth } from '@portcullis/react';
import { type ReactNode, useState } from 'react';
import { displayName, Loading, SessionError, useTitle } from '../common';
import { Link } from '../router';

const SILENT_MESSAGES = {
  login_required: 'Silent sign-in found no session at the provider: log in.',
  consent_required: 'Silent sign-in needs your consent first: log in.',
  interaction_required: 'Silent sign-in needs you at the provider: log in.',
  account_selection_required: 'Silent sign-in needs you to pick an account: log in.',
} as const;

export function HomePage(): ReactNode {
  const { status, user, sub, error, loginError, login, logout } = useAuth();
  const [leaving, setLeaving] = useState(false);
  useTitle('Home');

  if (status === 'loading') return <Loading />;
  if (status === 'error') return <SessionError error={error!} />;

  if (status === 'anonymous') {
    return (
      <section aria-labelledby="home-title">
        <h1 id="home-title">Welcome</h1>
        <p>This single-page app never sees an OAuth token. It talks to its Backend-for-Frontend with a cookie; the BFF keeps the tokens and calls the todo API for you.</p>
        {loginError ? (
          <p className="notice error" role="alert" data-testid="login-error" data-code={loginError}>
            {SILENT_MESSAGES[loginError]} ({loginError})
          </p>
        ) : null}
        <div className="actions">
          <button type="button" data-testid="login-button" onClick={() => login()}>
            Log in
          </button>
          {/* prompt=none: back signed in if the provider still knows you, else back here with
              ?error=login_required (shown above, once). A click, so it can never loop. */}
          <button type="button" className="secondary" data-testid="silent-login-button" onClick={() => login({ prompt: 'none' })}>
            Sign in silently
          </button>
        </div>
        <p className="hint">
          Demo accounts: <code>alice</code> / <code>alice</code> and <code>bob</code> / <code>bob</code>.
        </p>
      </section>
    );
  }

  return (
    <section aria-labelledby="home-title">
      <h1 id="home-title">Welcome back</h1>
      <p>
        Signed in as <strong data-testid="user-name">{displayName(user, sub)}</strong>
        {user?.email ? <span className="muted"> ({user.email})</span> : null}.
      </p>
      <div className="actions">
        <Link to="/todos" className="button">
          Your todos
        </Link>
        <button
          type="button"
          className="secondary"
          data-testid="logout-button"
          disabled={leaving}
          onClick={() => {
            setLeaving(true);
            logout();
          }}
        >
          {leaving ? 'Logging out…' : 'Log out'}
        </button>
      </div>
    </section>
  );
}
