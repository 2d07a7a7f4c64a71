/**
 * `pnpm --filter @portcullis/demo job` beside a demo on other ports: the job
 * reads DEMO_PROVIDER_PORT / DEMO_API_PORT (and DEMO_HOST) as demo/start.ts
 * does, so it reaches the provider and the API wherever the demo put them.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTodoApi, type TodoApi } from '../../demo/api/create-api.ts';
import { DEMO_JOB_CLIENT, demoJobTargets } from '../../demo/job.ts';
import { startDemoProvider, type DemoProvider } from '../../demo/provider/create-provider.ts';
import { freePort } from './server-harness.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
let provider: DemoProvider;
let api: TodoApi;
let ports: { provider: number; api: number };

beforeAll(async () => {
  ports = { provider: await freePort(), api: await freePort() };
  // As demo/start.ts starts them: localhost, the API's audience is its URL.
  provider = await startDemoProvider({ port: ports.provider, host: 'localhost', apiAudience: `http://localhost:${ports.api}`, clients: [DEMO_JOB_CLIENT] });
  api = await startTodoApi({ port: ports.api, host: 'localhost', issuer: provider.issuer, audience: `http://localhost:${ports.api}`, requireScopes: true });
});

afterAll(async () => {
  await api?.stop();
  await provider?.stop();
});

const runJob = async (env: Record<string, string>) => {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'demo/job.ts'], { cwd: root, env: { PATH: process.env['PATH'], HOME: process.env['HOME'], ...env } });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
};

describe('demo job ports', () => {
  it('reaches a demo started on DEMO_PROVIDER_PORT and DEMO_API_PORT', async () => {
    const { code, output } = await runJob({ DEMO_PROVIDER_PORT: String(ports.provider), DEMO_API_PORT: String(ports.api) });
    expect(output).toContain("The API saw a machine: kind 'client', clientId 'demo-job'");
    expect(code).toBe(0);
  });

  it('names a wrong port variable, and says where it looked when nothing answers', async () => {
    const wrong = await runJob({ DEMO_PROVIDER_PORT: 'forty' });
    expect(wrong.code).toBe(1);
    expect(wrong.output).toContain('The demo job failed: DEMO_PROVIDER_PORT must be a port number (1-65535), got "forty"');
    const nobody = await freePort();
    const missing = await runJob({ DEMO_PROVIDER_PORT: String(nobody), DEMO_API_PORT: String(ports.api) });
    expect(missing.code).toBe(1);
    expect(missing.output).toContain(`could not read the provider's metadata at http://localhost:${nobody}/.well-known/openid-configuration`);
  });

  it('demoJobTargets: the defaults of npm run demo, DEMO_HOST, and whole URLs first', () => {
    expect(demoJobTargets({})).toEqual({ providerUrl: 'http://localhost:4000', apiUrl: 'http://localhost:4001', resource: undefined });
    expect(demoJobTargets({ DEMO_HOST: '127.0.0.1', DEMO_PROVIDER_PORT: '5000', DEMO_API_PORT: '5001' })).toEqual({
      providerUrl: 'http://127.0.0.1:5000',
      apiUrl: 'http://127.0.0.1:5001',
      resource: undefined,
    });
    expect(demoJobTargets({ DEMO_PROVIDER_URL: 'https://id.example.com/', DEMO_PROVIDER_PORT: '5000', DEMO_API_AUDIENCE: 'urn:todos' })).toMatchObject({
      providerUrl: 'https://id.example.com',
      resource: 'urn:todos',
    });
    expect(() => demoJobTargets({ DEMO_API_PORT: '70000' })).toThrow('DEMO_API_PORT must be a port number (1-65535), got "70000"');
  });
});
