import type { ReactNode } from 'react';
import { useTitle } from '../common';
import { Link, usePath } from '../router';

export function NotFoundPage(): ReactNode {
  const path = usePath();
  useTitle('Not found');
  return (
    <section data-testid="not-found" aria-labelledby="nf-title">
      <h1 id="nf-title">Page not found</h1>
      <p>
        There is no page at <code>{path}</code>.
      </p>
      <p>
        <Link to="/">Back to the home page</Link>
      </p>
    </section>
  );
}
