import * as http from 'node:http';
import { ClientHttp } from '../../src/client/transport';
import type { CmLog } from '../../src/log/logger';

/** Logs nothing: these tests look at what the request and close() do. */
const quietLog = { error: () => undefined } as unknown as CmLog;

describe('ClientHttp reply size cap', () => {
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    // Promises 8 MiB, sends 2 MiB and keeps the connection open: a paused reader would wait forever.
    server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(8 * 1024 * 1024) });
      res.write(Buffer.alloc(2 * 1024 * 1024, 0x41));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('an over-size reply fails with CCMCLIENT_E_BAD_REPLY and close() still resolves', async () => {
    const client = new ClientHttp({ connectTo: [], ca: undefined, maxBody: 64 * 1024 });
    await expect(client.request(`${base}/SMS_MP/.sms_aut?MPLIST`, { method: 'GET' }, quietLog)).rejects.toMatchObject({ code: 'CCMCLIENT_E_BAD_REPLY' });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still open after 10 s'), 10_000)));
    const outcome = await Promise.race([client.close().then(() => 'closed'), deadline]);
    clearTimeout(timer);
    expect(outcome).toBe('closed');
  });
});
