// Writes index.d.ts from the type definitions napi-derive recorded while compiling the
// native module (NAPI_TYPE_DEF_TMP_FOLDER), with the napi-rs CLI's own renderer: what
// `napi build --dts` does, without its second cargo build for an explicit target.
//   node scripts/dts.mjs TYPE_DEF_DIR OUT
import { writeFileSync } from 'node:fs';
import { generateTypeDef } from '@napi-rs/cli';

const [typeDefDir, out] = process.argv.slice(2);
const { dts } = await generateTypeDef({ typeDefDir, cwd: process.cwd() });
// Doc comments written by macro_rules! reach napi-derive as raw string literals (`r" text`):
// keep the text.
writeFileSync(out, dts.replace(/\/\*\* r" /g, '/** '));
