/** SingleFlight: one run per key at a time, its result shared by every concurrent caller. */
import { describe, expect, it } from 'vitest';
import { SingleFlight } from '../../src/tokens/single-flight.ts';

/** A promise with its resolve/reject handles. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('SingleFlight', () => {
  it('runs the work once for concurrent callers of one key, and they all get its result', async () => {
    const flights = new SingleFlight<string>();
    const gate = deferred<string>();
    let runs = 0;
    const work = () => {
      runs++;
      return gate.promise;
    };
    const callers = Array.from({ length: 50 }, () => flights.run('session-1', work));
    expect(runs).toBe(1);
    expect(flights.size).toBe(1);
    gate.resolve('token-A');
    expect(await Promise.all(callers)).toEqual(Array(50).fill('token-A'));
    expect(runs).toBe(1);
  });

  it('runs again once the previous run settled', async () => {
    const flights = new SingleFlight<number>();
    let runs = 0;
    const work = async () => ++runs;
    expect(await flights.run('k', work)).toBe(1);
    expect(flights.size).toBe(0);
    expect(await flights.run('k', work)).toBe(2);
  });

  it('shares a failure with every concurrent caller, then forgets it (the next call retries)', async () => {
    const flights = new SingleFlight<string>();
    const gate = deferred<string>();
    let runs = 0;
    const failing = () => {
      runs++;
      return gate.promise;
    };
    const callers = Array.from({ length: 5 }, () => flights.run('k', failing));
    gate.reject(new Error('invalid_grant'));
    const results = await Promise.allSettled(callers);
    expect(results.every((r) => r.status === 'rejected' && (r.reason as Error).message === 'invalid_grant')).toBe(true);
    expect(runs).toBe(1);
    expect(flights.size).toBe(0);
    await expect(flights.run('k', async () => 'recovered')).resolves.toBe('recovered');
  });

  it('keeps keys independent', async () => {
    const flights = new SingleFlight<string>();
    const a = deferred<string>();
    const b = deferred<string>();
    const ra = flights.run('a', () => a.promise);
    const rb = flights.run('b', () => b.promise);
    expect(flights.size).toBe(2);
    b.resolve('B');
    expect(await rb).toBe('B');
    expect(flights.size).toBe(1);
    a.resolve('A');
    expect(await ra).toBe('A');
    expect(flights.size).toBe(0);
  });

  it('treats a work function that throws synchronously like a rejection, and does not wedge the key', async () => {
    const flights = new SingleFlight<string>();
    const boom = (): Promise<string> => {
      throw new Error('sync');
    };
    await expect(Promise.resolve().then(() => flights.run('k', boom))).rejects.toThrow('sync');
    expect(flights.size).toBe(0);
    await expect(flights.run('k', async () => 'ok')).resolves.toBe('ok');
  });
});
