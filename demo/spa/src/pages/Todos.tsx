import { StepUpRequired, useAuth, useBffFetch } from '@portcullis/react';
import { type FormEvent, type ReactNode, useCallback, useEffect, useState } from 'react';
import { errorMessage, Loading, readJson, SessionError, useTitle } from '../common';

/** A todo as the API returns it. */
interface Todo {
  id: string;
  title: string;
  done: boolean;
  createdAt: string;
}

const JSON_HEADERS = { 'Content-Type': 'application/json' };

/**
 * An action put off by a step-up login: its name and when it was asked for, in sessionStorage
 * (never a token). Honoured once, on return to this page within PENDING_TTL_MS.
 */
const PENDING_KEY = 'demo:pending-action';
const PENDING_TTL_MS = 5 * 60_000;

function takePending(): string | null {
  const raw = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  try {
    const pending = JSON.parse(raw ?? 'null') as { action?: unknown; at?: unknown } | null;
    return typeof pending?.action === 'string' && typeof pending.at === 'number' && Date.now() - pending.at < PENDING_TTL_MS ? pending.action : null;
  } catch {
    return null;
  }
}

/** The signed-in user's todos, through the BFF's `/api/todos` proxy. */
function TodoList(): ReactNode {
  const api = useBffFetch();
  const { login } = useAuth();
  const [notice, setNotice] = useState<string | null>(null);
  const [todos, setTodos] = useState<Todo[] | null>(null);
  const [title, setTitle] = useState('');
  const [busy, setBusy] = useState<ReadonlySet<string>>(new Set());
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const abort = new AbortController();
    api('/api/todos', { signal: abort.signal })
      .then((res) => readJson<{ todos: Todo[] }>(res))
      .then((body) => setTodos(body.todos))
      .catch((e: unknown) => abort.signal.aborted || setError(errorMessage(e)));
    return () => abort.abort();
  }, [api]);

  /** Runs one change with `key` marked busy; a failure shows as an alert. */
  const run = useCallback(async (key: string, change: () => Promise<void>) => {
    setBusy((s) => new Set(s).add(key));
    setError(null);
    try {
      await change();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy((s) => {
        const next = new Set(s);
        next.delete(key);
        return next;
      });
    }
  }, []);

  const add = (e: FormEvent) => {
    e.preventDefault();
    const text = title.trim();
    if (!text) return;
    void run('new', async () => {
      const todo = await readJson<Todo>(await api('/api/todos', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ title: text }) }));
      setTodos((list) => [...(list ?? []), todo]);
      setTitle('');
    });
  };

  const replace = (todo: Todo) => setTodos((list) => list?.map((t) => (t.id === todo.id ? todo : t)) ?? null);

  // Optimistic: the checkbox flips at once and flips back if the API refuses.
  const toggle = (todo: Todo) =>
    void run(todo.id, async () => {
      replace({ ...todo, done: !todo.done });
      try {
        const path = `/api/todos/${encodeURIComponent(todo.id)}`;
        replace(await readJson<Todo>(await api(path, { method: 'PATCH', headers: JSON_HEADERS, body: JSON.stringify({ done: !todo.done }) })));
      } catch (e) {
        replace(todo);
        throw e;
      }
    });

  const remove = (todo: Todo) =>
    void run(todo.id, async () => {
      await readJson<void>(await api(`/api/todos/${encodeURIComponent(todo.id)}`, { method: 'DELETE' }));
      setTodos((list) => list?.filter((t) => t.id !== todo.id) ?? null);
    });

  // Clearing needs a second factor (acr urn:portcullis:mfa): the API answers step_up_required,
  // the session stays, and the app logs in again with acr_values, then retries once back here.
  const clearAll = useCallback(
    (retry: boolean) =>
      void run('clear', async () => {
        setNotice(null);
        try {
          await readJson<void>(await api('/api/todos', { method: 'DELETE' }));
        } catch (e) {
          if (!(e instanceof StepUpRequired)) throw e;
          if (retry) throw new Error('Clearing your todos needs the second sign-in step, which was not completed.');
          sessionStorage.setItem(PENDING_KEY, JSON.stringify({ action: 'clear-todos', at: Date.now() }));
          login({ acrValues: e.acrValues, maxAge: e.maxAge, returnTo: '/todos' });
          return new Promise<never>(() => {}); // stays busy (no second click) while the page leaves
        }
        setTodos([]);
        setNotice('All your todos were cleared.');
      }),
    [api, login, run],
  );

  // Back from a step-up login: run the pending action once, after the list has loaded (so that
  // the list read before it cannot overwrite its result). Taken before running: neither
  // StrictMode's second effect run nor a failed retry repeats it.
  const loaded = todos !== null;
  useEffect(() => {
    if (loaded && takePending() === 'clear-todos') clearAll(true);
  }, [loaded, clearAll]);

  const left = todos?.filter((t) => !t.done).length ?? 0;
  return (
    <section aria-labelledby="todos-title">
      <h1 id="todos-title">Your todos</h1>
      <form className="add-todo" onSubmit={add}>
        <label htmlFor="new-todo" className="visually-hidden">
          New todo
        </label>
        <input id="new-todo" data-testid="new-todo-input" placeholder="What needs doing?" autoComplete="off" maxLength={200} value={title} onChange={(e) => setTitle(e.target.value)} />
        <button type="submit" data-testid="add-todo-button" disabled={!title.trim() || busy.has('new')}>
          Add
        </button>
      </form>
      {error ? (
        <p className="notice error" role="alert" data-testid="todo-error">
          {error}
        </p>
      ) : null}
      {notice ? (
        <p className="notice" role="status" data-testid="todo-notice">
          {notice}
        </p>
      ) : null}
      {todos === null ? (
        error ? null : (
          <Loading>Loading your todos…</Loading>
        )
      ) : (
        <>
          <ul className="todo-list" data-testid="todo-list" aria-label="Todos">
            {todos.map((todo) => (
              <li key={todo.id} className={todo.done ? 'todo done' : 'todo'} data-testid="todo-item" data-done={String(todo.done)}>
                <label className="todo-label">
                  <input type="checkbox" data-testid="todo-toggle" checked={todo.done} disabled={busy.has(todo.id)} onChange={() => toggle(todo)} />
                  <span data-testid="todo-title">{todo.title}</span>
                </label>
                <button type="button" className="icon" data-testid="todo-delete" aria-label={`Delete “${todo.title}”`} title="Delete" disabled={busy.has(todo.id)} onClick={() => remove(todo)}>
                  ×
                </button>
              </li>
            ))}
          </ul>
          <p className="muted small" data-testid="todo-summary">
            {todos.length === 0 ? 'Nothing to do. Add your first todo above.' : `${left} of ${todos.length} left`}
          </p>
          <div className="actions">
            <button type="button" className="secondary danger" data-testid="todos-clear-all" disabled={todos.length === 0 || busy.has('clear')} onClick={() => clearAll(false)}>
              Clear all
            </button>
            <span className="muted small">Asks for a second sign-in step (one-time code).</span>
          </div>
        </>
      )}
    </section>
  );
}

export function TodosPage(): ReactNode {
  const { status, sub, error, login } = useAuth();
  useTitle('Todos');
  if (status === 'loading') return <Loading />;
  if (status === 'error') return <SessionError error={error!} />;
  if (status === 'anonymous') {
    return (
      <section aria-labelledby="todos-title">
        <h1 id="todos-title">Your todos</h1>
        <p>Log in to see and edit your todos.</p>
        <div className="actions">
          <button type="button" data-testid="todos-login-button" onClick={() => login()}>
            Log in
          </button>
        </div>
      </section>
    );
  }
  // A new user (another tab signed in as someone else) gets a fresh list.
  return <TodoList key={sub} />;
}
