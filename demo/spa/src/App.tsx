import { useAuth } from '@portcullis/react';
import type { ComponentType, ReactNode } from 'react';
import { HomePage } from './pages/Home';
import { NotFoundPage } from './pages/NotFound';
import { ProfilePage } from './pages/Profile';
import { SessionsPage } from './pages/Sessions';
import { TodosPage } from './pages/Todos';
import { Link, usePath } from './router';

const ROUTES: Record<string, ComponentType> = {
  '/': HomePage,
  '/todos': TodosPage,
  '/profile': ProfilePage,
  '/sessions': SessionsPage,
};

const STATUS_LABEL = {
  loading: 'Checking session…',
  authenticated: 'Signed in',
  anonymous: 'Signed out',
  error: 'Session unavailable',
} as const;

/** The session state as a small badge; `data-status` is the tests' hook. */
function StatusBadge(): ReactNode {
  const { status } = useAuth();
  return (
    <span className={`status status-${status}`} data-testid="status" data-status={status} role="status">
      {STATUS_LABEL[status]}
    </span>
  );
}

export function App(): ReactNode {
  const path = usePath();
  const Page = ROUTES[path] ?? NotFoundPage;
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="header">
        <Link to="/" className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Portcullis demo
        </Link>
        <nav aria-label="Main" className="nav">
          <Link to="/">Home</Link>
          <Link to="/todos">Todos</Link>
          <Link to="/profile">Profile</Link>
          <Link to="/sessions">Sessions</Link>
        </nav>
        <StatusBadge />
      </header>
      <main id="main" className="card" tabIndex={-1}>
        <Page />
      </main>
      <footer className="footer">The tokens stay in the BFF. This page only holds an HttpOnly session cookie.</footer>
    </div>
  );
}
