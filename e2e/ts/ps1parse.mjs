// ps1parse.mjs FILE... - parse PowerShell scripts with tree-sitter-powershell and print their
// syntax errors, one a line as FILE:LINE:COLUMN: …; exit status 1 when there is any. PowerShell itself cannot be
// installed on the test machines; this is the parse check install.ps1 gets instead.
import { Parser, Language } from 'web-tree-sitter';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
await Parser.init();
const lang = await Language.load(require.resolve('tree-sitter-powershell/tree-sitter-powershell.wasm'));
const parser = new Parser();
parser.setLanguage(lang);
const problems = [];
for (const file of process.argv.slice(2)) {
  const src = readFileSync(file, 'utf8');
  (function walk(n) {
    if (n.type === 'ERROR' || n.isMissing) {
      const at = `${file}:${n.startPosition.row + 1}:${n.startPosition.column + 1}`;
      problems.push(`${at}: ${n.isMissing ? 'missing ' + n.type : 'syntax error'} near ${JSON.stringify(src.slice(n.startIndex, n.startIndex + 60))}`);
    }
    for (let i = 0; i < n.childCount; i++) walk(n.child(i));
  })(parser.parse(src).rootNode);
}
for (const p of problems) console.log(p);
process.exit(problems.length ? 1 : 0);
