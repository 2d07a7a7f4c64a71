import { useAuth } from '@portcullis/react';
import { type ReactNode, useState } from 'react';
import { displayName, Loading, SessionError, useTitle } from '../common';
import { Link } from '../router';

export function HomePage(): ReactNode {
  const { status, user, sub, error, login, logout } = useAuth();
  const [leaving, setLeaving] = useState(false);
  useTitle('Home');

  if (status === 'loading') return <Loading />;
  if (status === 'error') return <SessionError error={error!} />;

  if (status === 'anonymous') {
    return (
      <section aria-labelledby="home-title">
        <h1 id="home-title">Welcome</h1>
        <p>
          This single-page app never sees an OAuth token. It talks to its Backend-for-Frontend with a cookie; the BFF
          keeps the tokens and calls the todo API for you.
        </p>
        <div className="actions">
          <button type="button" data-testid="login-button" onClick={() => login()}>
            Log in
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
