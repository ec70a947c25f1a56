// Drops what aptos-sdk's HTTP client links in from wasm-streams (the IntoUnderlying* stream
// adapters and web-sys's ReadableStreamType, which a wasm-bindgen dependency exports whether it
// is used or not) from the package's TypeScript declarations: they are not this package's API.
//   node bindings-wasm/trim-dts.mjs bindings-wasm/pkg
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const doc = String.raw`(?:/\*\*(?:(?!\*/)[\s\S])*\*/\s*)?`;
const foreign = [
  new RegExp(String.raw`${doc}^export class IntoUnderlying\w+ \{\n[\s\S]*?^\}\n`, 'gm'),
  new RegExp(String.raw`${doc}^export type ReadableStreamType = [^;]*;\n`, 'gm'),
];
for (const name of ['computestream_wasm.d.ts', 'computestream_wasm_bg.wasm.d.ts']) {
  const path = join(process.argv[2], name);
  let text = readFileSync(path, 'utf8');
  for (const re of foreign) text = text.replace(re, '');
  text = text
    .split('\n')
    .filter((line) => !/intounderlying/i.test(line))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n');
  if (/intounderlying|ReadableStreamType|wasm-streams/i.test(text)) {
    throw new Error(`${path}: still declares wasm-streams items`);
  }
  writeFileSync(path, text);
}
