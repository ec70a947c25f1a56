// Prints decodes per second of a PAYMENT-SIGNATURE header with @x402/core: `node bench.mjs HEADER SECONDS`.
import { decodePaymentSignatureHeader } from '@x402/core/http';
const [header, seconds] = [process.argv[2], Number(process.argv[3] || 2)];
let n = 0;
const end = performance.now() + seconds * 1000;
while (performance.now() < end) {
  for (let i = 0; i < 256; i++) decodePaymentSignatureHeader(header);
  n += 256;
}
console.log(n / seconds);
