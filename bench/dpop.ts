/**
 * What sender-constrained tokens cost the BFF per call: one DPoP proof is
 * signed for every proxied call of a DPoP-bound route (and for each token
 * request), one client assertion for each token, PAR and revocation request
 * with `private_key_jwt`. Measured in-process, interleaved rounds (ES256,
 * EdDSA, the assertion) so that machine noise hits all alike; medians of the
 * rounds, µs per operation. Compare with a proxied call's CPU (bench proxy).
 *
 *   pnpm --filter @portcullis/bench bench:dpop [--rounds=7] [--iterations=5000]
 */
import { generateKeyPairSync } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { authenticateClient } from '../packages/bff/src/protocol/client-auth.ts';
import { readClientKey } from '../packages/bff/src/protocol/client-key.ts';
import { generateDpopKey } from '../packages/bff/src/protocol/dpop-key.ts';
import { createDpopProof } from '../packages/bff/src/protocol/dpop-proof.ts';
import { median } from './lib/stats.ts';

/** µs per operation, median of the rounds, and each round's figure. */
export interface DpopCost {
  label: string;
  usPerOp: number;
  rounds: number[];
}

export interface DpopResult {
  settings: { rounds: number; iterations: number };
  costs: DpopCost[];
  /** EdDSA proof ÷ ES256 proof, from the medians. */
  eddsaOverEs256: number;
}

/** Runs the interleaved rounds. */
export async function runDpop({ rounds = 7, iterations = 5000 }: { rounds?: number; iterations?: number } = {}): Promise<DpopResult> {
  const es256 = generateDpopKey('ES256');
  const eddsa = generateDpopKey('EdDSA');
  const token = 'x'.repeat(900); // about a JWT access token's size: `ath` hashes it
  const clientKey = readClientKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  const assertion = { method: 'private_key_jwt' as const, clientId: 'bench', key: clientKey, issuer: 'https://id.example.com' };
  const ops: Array<{ label: string; run: () => unknown }> = [
    { label: 'DPoP proof, ES256', run: () => createDpopProof(es256, { htm: 'GET', htu: 'https://api.example.com/todos/1', accessToken: token }) },
    { label: 'DPoP proof, EdDSA', run: () => createDpopProof(eddsa, { htm: 'GET', htu: 'https://api.example.com/todos/1', accessToken: token }) },
    { label: 'client assertion, ES256 (jose)', run: () => authenticateClient(assertion, new URLSearchParams(), {}) },
  ];
  const perRound = new Map<string, number[]>(ops.map((o) => [o.label, []]));
  // Warm-up: key import caches, JIT.
  for (const op of ops) for (let i = 0; i < 200; i++) await op.run();
  for (let r = 0; r < rounds; r++) {
    for (const op of ops) {
      const start = process.hrtime.bigint();
      for (let i = 0; i < iterations; i++) await op.run();
      perRound.get(op.label)!.push(Number(process.hrtime.bigint() - start) / 1000 / iterations);
    }
  }
  const costs = ops.map((o) => ({ label: o.label, usPerOp: median(perRound.get(o.label)!), rounds: perRound.get(o.label)! }));
  return { settings: { rounds, iterations }, costs, eddsaOverEs256: costs[1]!.usPerOp / costs[0]!.usPerOp };
}

/** Prints the table. */
export function printDpop(result: DpopResult): void {
  console.log(`\nSender-constrained tokens (${result.settings.iterations} operations x ${result.settings.rounds} interleaved rounds; medians)`);
  for (const c of result.costs) console.log(`${c.label.padEnd(34)}${c.usPerOp.toFixed(1).padStart(8)} µs   ${c.rounds.map((v) => v.toFixed(1)).join(' / ')}`);
  console.log(`${'EdDSA proof ÷ ES256 proof'.padEnd(34)}${result.eddsaOverEs256.toFixed(2).padStart(8)}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name: string): number | undefined => {
    const found = process.argv.find((a) => a.startsWith(`--${name}=`));
    return found ? Number(found.split('=')[1]) : undefined;
  };
  const rounds = arg('rounds');
  const iterations = arg('iterations');
  printDpop(await runDpop({ ...(rounds ? { rounds } : {}), ...(iterations ? { iterations } : {}) }));
}
