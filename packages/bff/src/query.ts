/** Query-string reading with one rule: a parameter given twice is ambiguous and refused. */
import type Koa from 'koa';
import { InvalidRequest } from './errors.ts';

/** The single value of query parameter `name`, or `undefined`; 400 when repeated. */
export function singleQuery(ctx: Koa.Context, name: string): string | undefined {
  const value = ctx.query[name];
  if (Array.isArray(value)) throw new InvalidRequest(`The "${name}" parameter must appear at most once.`);
  return value;
}
