/** Internal: BroadcastChannel name shared by every tab of the app. */
export const CHANNEL_NAME = 'portcullis-auth';

/** Internal: what one tab tells the others. */
export type AuthMessageType = 'login' | 'logout';

/** Internal: a cross-tab channel; a no-op where BroadcastChannel is missing. */
export interface AuthChannel {
  post(type: AuthMessageType): void;
  close(): void;
}

/** Internal: opens the cross-tab channel; `onMessage` gets `login`/`logout` from other tabs. */
export function openChannel(onMessage: (type: AuthMessageType) => void): AuthChannel {
  if (typeof BroadcastChannel == 'undefined') return { post() {}, close() {} };
  const ch = new BroadcastChannel(CHANNEL_NAME);
  ch.onmessage = (e: MessageEvent<unknown>) => {
    const type = (e.data as { type?: unknown } | null)?.type;
    if (type === 'login' || type === 'logout') onMessage(type);
  };
  return { post: (type) => ch.postMessage({ type }), close: () => ch.close() };
}
