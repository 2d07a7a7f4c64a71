/** Target (1) and the API behind every proxy: the 1 KiB JSON upstream (lib/upstream.ts) in its own process. */
import { serveTarget } from '../lib/child.ts';
import { BODY, startUpstream } from '../lib/upstream.ts';

const upstream = await startUpstream();
serveTarget(upstream.url, () => upstream.stop(), { bodyBytes: BODY.length });
