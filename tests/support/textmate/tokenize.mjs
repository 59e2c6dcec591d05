// Tokenizes text with a TextMate grammar in VS Code's own engine (vscode-textmate, with the
// Oniguruma regular expressions of vscode-oniguruma), for tests/editors_grammar.rs.
//
// Reads JSON on stdin: {"grammar": PATH, "files": [{"name": N, "text": T}, …]}.
// Writes JSON on stdout: {"files": [{"name": N, "lines": [{"tokens": [[START, END, [SCOPE, …]],
// …], "depth": D}, …]}]}, one entry per line of T (split on "\n"); D is the depth of the rule
// stack at the end of the line (1: nothing left open). Exit status 1 if the grammar fails to load.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import textmate from 'vscode-textmate';
import oniguruma from 'vscode-oniguruma';

const require = createRequire(import.meta.url);
const input = JSON.parse(fs.readFileSync(0, 'utf8'));

const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));

const raw = fs.readFileSync(input.grammar, 'utf8');
const registry = new textmate.Registry({
  onigLib: Promise.resolve({
    createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
    createOnigString: (s) => new oniguruma.OnigString(s),
  }),
  loadGrammar: async () => textmate.parseRawGrammar(raw, input.grammar),
});
const grammar = await registry.loadGrammar('source.orche');
if (!grammar) {
  console.error(`${input.grammar}: the grammar did not load`);
  process.exit(1);
}

const files = [];
for (const { name, text } of input.files) {
  let stack = textmate.INITIAL;
  const lines = [];
  for (const line of text.split('\n')) {
    const r = grammar.tokenizeLine(line.replace(/\r$/, ''), stack);
    lines.push({
      tokens: r.tokens.map((t) => [t.startIndex, t.endIndex, t.scopes]),
      depth: r.ruleStack.depth,
    });
    stack = r.ruleStack;
  }
  files.push({ name, lines });
}
process.stdout.write(JSON.stringify({ files }));
