import { render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { AuthProvider } from '../src/AuthProvider.js';
import { withAuthenticationRequired } from '../src/withAuthenticationRequired.js';
import { json, session, stubFetch, stubNav, unauthenticated } from './helpers.js';

function Todos({ title }: { title: string }) {
  return <h1>{title}</h1>;
}

describe('withAuthenticationRequired', () => {
  it('renders the component with its props when authenticated', async () => {
    stubFetch(() => json(200, session()));
    const Guarded = withAuthenticationRequired(Todos, { fallback: <p>wait</p> });
    render(
      <AuthProvider>
        <Guarded title="My todos" />
      </AuthProvider>,
    );
    expect(screen.getByText('wait')).toBeTruthy();
    expect(await screen.findByRole('heading', { name: 'My todos' })).toBeTruthy();
  });

  it('redirects to login with options.returnTo when anonymous', async () => {
    stubFetch(unauthenticated);
    const go = stubNav();
    const Guarded = withAuthenticationRequired(Todos, { returnTo: '/todos' });
    const { container } = render(
      <AuthProvider>
        <Guarded title="x" />
      </AuthProvider>,
    );
    await waitFor(() => expect(go).toHaveBeenCalledExactlyOnceWith('/bff/login?returnTo=%2Ftodos'));
    expect(container.innerHTML).toBe('');
  });

  it('sets a displayName', () => {
    expect(withAuthenticationRequired(Todos).displayName).toBe('withAuthenticationRequired(Todos)');
    const Anonymous = () => null;
    Object.defineProperty(Anonymous, 'name', { value: '' });
    expect(withAuthenticationRequired(Anonymous).displayName).toBe('withAuthenticationRequired(Component)');
  });
});
