// Parses each Mermaid file named on the command line with Mermaid's own parser (the one the
// renderer uses) and prints `FILE: ok (TYPE)` or `FILE: INVALID: MESSAGE`. Exit status 1 if
// any file is invalid. Mermaid expects a browser; jsdom provides the little it touches.
import { JSDOM } from 'jsdom';
import fs from 'node:fs';

const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');

let invalid = 0;
for (const file of process.argv.slice(2)) {
  const text = fs.readFileSync(file, 'utf8');
  try {
    const result = await mermaid.parse(text);
    console.log(`${file}: ok (${result.diagramType})`);
  } catch (e) {
    invalid++;
    console.log(`${file}: INVALID: ${String(e.message).split('\n').join(' | ')}`);
  }
}
process.exit(invalid ? 1 : 0);
