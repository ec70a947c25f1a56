// The wasm package's size beside what a browser app would bundle for the same work from the
// TypeScript SDKs: @aptos-labs/ts-sdk (transactions, signing, the node API) and @x402/core
// (x402 headers, client and HTTP helpers), all bundled in this one run by esbuild (ESM,
// browser, minified) and gzipped at level 9. Run by scripts/size-wasm after the package is
// built.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const pkg = fileURLToPath(new URL('../pkg/', import.meta.url));

async function bundle(contents) {
  const result = await build({
    stdin: { contents, resolveDir: here, loader: 'js' },
    bundle: true, minify: true, format: 'esm', platform: 'browser', target: 'es2022',
    write: false, logLevel: 'error',
  });
  return result.outputFiles[0].contents;
}

const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;

const oursJs = await bundle(`export * from ${JSON.stringify(`${pkg}computestream_wasm.js`)};`);
const oursWasm = readFileSync(`${pkg}computestream_wasm_bg.wasm`);
const aptos = await bundle("export * from '@aptos-labs/ts-sdk';");
const x402 = await bundle([
  "export * from '@x402/core';",
  "export * as client from '@x402/core/client';",
  "export * as http from '@x402/core/http';",
].join('\n'));
const both = await bundle([
  "export * from '@aptos-labs/ts-sdk';",
  "export * as x402 from '@x402/core';",
  "export * as x402client from '@x402/core/client';",
  "export * as x402http from '@x402/core/http';",
].join('\n'));

const ours = gz(oursJs) + gz(oursWasm);
const rows = [
  ['computestream-wasm: JS glue (minified)', oursJs.length, gz(oursJs)],
  ['computestream-wasm: .wasm (release, wasm-opt -Oz)', oursWasm.length, gz(oursWasm)],
  ['computestream-wasm: total', oursJs.length + oursWasm.length, ours],
  ['@aptos-labs/ts-sdk alone', aptos.length, gz(aptos)],
  ['@x402/core (., client, http) alone', x402.length, gz(x402)],
  ['@aptos-labs/ts-sdk + @x402/core, one bundle', both.length, gz(both)],
];
console.log('| what | raw | gzipped |');
console.log('|---|---:|---:|');
for (const [what, raw, zipped] of rows) console.log(`| ${what} | ${kb(raw)} | ${kb(zipped)} |`);
console.log(`\ngzipped, computestream-wasm / (ts-sdk + x402 core): ${(ours / gz(both)).toFixed(2)}`);
