import { RequireAuth, useAuth } from '@portcullis/react';
import { type ReactNode, useState } from 'react';
import { errorMessage, Loading, SessionError, useTitle } from '../common';
import { type SessionInfo, useSessions } from '../sessions-entry';

const when = (unixSeconds: number) => {
  const date = new Date(unixSeconds * 1000);
  return <time dateTime={date.toISOString()}>{date.toLocaleString()}</time>;
};

/** The signed-in user's BFF sessions (one per browser that logged in), each of which can be ended. */
function Sessions(): ReactNode {
  const { sessions, loading, error, reload, end, endOthers } = useSessions();
  const [busy, setBusy] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  const act = (key: string, action: () => Promise<void>) => {
    setBusy(key);
    setFailure(null);
    action()
      .catch((e: unknown) => setFailure(errorMessage(e)))
      .finally(() => setBusy(null));
  };

  const others = sessions.filter((s) => !s.current).length;
  return (
    <section aria-labelledby="sessions-title" data-testid="sessions">
      <h1 id="sessions-title">Your sessions</h1>
      <p className="muted">Every browser where you are signed in. Ending one signs that browser out at its next request.</p>
      {error ? (
        <p className="notice error" role="alert" data-testid="sessions-error">
          The sessions could not be loaded: {error.message}
        </p>
      ) : null}
      {failure ? (
        <p className="notice error" role="alert" data-testid="sessions-action-error">
          {failure}
        </p>
      ) : null}
      {loading && sessions.length === 0 ? (
        <Loading>Loading your sessions…</Loading>
      ) : (
        <ul className="session-list" data-testid="session-list" aria-label="Sessions" aria-busy={loading}>
          {sessions.map((s: SessionInfo) => (
            <li key={s.id} className="session" data-testid="session-item" data-current={String(s.current)}>
              <div className="session-info">
                <strong data-testid="session-agent">{s.userAgent ?? 'Unknown browser'}</strong>
                {s.current ? <span className="tag">This browser</span> : null}
                <div className="muted small">
                  Signed in {when(s.createdAt)} · last seen {when(s.lastSeenAt)}
                </div>
              </div>
              {s.current ? null : (
                <button type="button" className="secondary danger" data-testid="session-end" disabled={busy !== null} onClick={() => act(s.id, () => end(s.id))}>
                  {busy === s.id ? 'Ending…' : 'End'}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <div className="actions">
        <button type="button" className="secondary danger" data-testid="sessions-end-others" disabled={busy !== null || others === 0} onClick={() => act('others', endOthers)}>
          {busy === 'others' ? 'Ending…' : 'End all others'}
        </button>
        <button type="button" className="secondary" data-testid="sessions-reload" disabled={loading} onClick={() => void reload()}>
          Reload
        </button>
      </div>
    </section>
  );
}

/** Protected, like the profile: an anonymous visitor logs in first and comes back here. */
export function SessionsPage(): ReactNode {
  const { sub } = useAuth();
  useTitle('Sessions');
  return (
    <RequireAuth fallback={<Loading>Checking your session…</Loading>} onError={(e) => <SessionError error={e} />}>
      {/* Another user signed in from another tab: a fresh list. */}
      <Sessions key={sub} />
    </RequireAuth>
  );
}
