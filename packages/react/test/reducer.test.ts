import { describe, expect, it } from 'vitest';
import { initialState, reducer, type AuthState } from '../src/reducer.js';
import { session } from './helpers.js';

describe('reducer', () => {
  it('starts loading', () => {
    expect(initialState).toEqual({ status: 'loading', session: null, error: null });
  });

  it('session → authenticated', () => {
    const s = session();
    expect(reducer(initialState, { type: 'session', session: s })).toEqual({ status: 'authenticated', session: s, error: null });
  });

  it('anonymous drops the session and keeps the same object when already anonymous', () => {
    const authed = reducer(initialState, { type: 'session', session: session() });
    const anon = reducer(authed, { type: 'anonymous' });
    expect(anon).toEqual({ status: 'anonymous', session: null, error: null });
    expect(reducer(anon, { type: 'anonymous' })).toBe(anon);
  });

  it('error keeps the error and no session', () => {
    const error = new Error('boom');
    const authed: AuthState = reducer(initialState, { type: 'session', session: session() });
    expect(reducer(authed, { type: 'error', error })).toEqual({ status: 'error', session: null, error });
  });
});
