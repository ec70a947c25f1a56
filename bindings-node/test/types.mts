// Type-checked by scripts/test-node (tsc --noEmit): the scheme classes fit @x402/core's
// client and resource server, and the package's entry points type as documented.
import { x402Client } from '@x402/core/client';
import { x402ResourceServer, HTTPFacilitatorClient } from '@x402/core/server';
import { ExactClientScheme, StreamClientScheme, ExactServerScheme, StreamServerScheme } from 'computestream/x402';
import { Client, AbortError, streamAt, type Stream, type StreamAt } from 'computestream';
import { wrapFetchWithPayment } from 'computestream/fetch';

export const client = new x402Client()
  .register('movement:126', new ExactClientScheme({ privateKey: '0x01', node: 'http://127.0.0.1/v1' }))
  .register('movement:126', new StreamClientScheme({ privateKey: '0x01', node: 'http://127.0.0.1/v1', dockerImage: 'img' }));
export const server = new x402ResourceServer(new HTTPFacilitatorClient({ url: 'http://127.0.0.1:4021' }))
  .register('movement:126', new ExactServerScheme())
  .register('movement:126', new StreamServerScheme({ contract: '0xcafe', ratePerSecond: 2_000_000_000_000n, maxDurationSeconds: 3600 }));

export async function watch(c: Client, payer: string, jobId: bigint): Promise<bigint> {
  const stream: Stream = await c.getStream({ payer, jobId });
  try {
    return stream.paid + (await c.calculateCurrentAmount({ payer, jobId }));
  } catch (e) {
    if (e instanceof AbortError && e.abortName === 'E_STREAM_NOT_FOUND') return 0n;
    throw e;
  }
}

// With a key the client's address is a string; without one it may be null.
export const signing: string = new Client({ node: 'http://127.0.0.1/v1', privateKey: '0x01' }).address;
const readOnly = new Client({ node: 'http://127.0.0.1/v1' });
// @ts-expect-error: a client without a key has no address to pay to
export const unsigned: string = readOnly.address;
export const isClient = (x: unknown): x is Client => x instanceof Client;

export async function runsDryIn(c: Client, payer: string, jobId: bigint): Promise<bigint | null> {
  const at: StreamAt = streamAt(await c.getStream({ payer, jobId }), await c.nowSeconds());
  return at.isPaying ? at.secondsToDeplete : 0n;
}

export const pay = wrapFetchWithPayment(fetch, { privateKey: '0x01', node: 'http://127.0.0.1/v1', maxPerPayment: 10n, maxPerHour: '100' });
