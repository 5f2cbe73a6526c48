// Runs the console's browser tests: every *.spec.mjs in this directory (or those named in
// CONSOLE_SPECS, comma-separated, and only the tests matching CONSOLE_RUN, a regexp).
// A spec exports default [{name, async run(t)}]; tests run in order, one browser.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Ctx, launch, closeAsks } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const only = (process.env.CONSOLE_SPECS || '').split(',').filter(Boolean);
const match = process.env.CONSOLE_RUN ? new RegExp(process.env.CONSOLE_RUN) : null;
const files = readdirSync(here).filter((f) => f.endsWith('.spec.mjs'))
  .filter((f) => only.length === 0 || only.includes(f.replace(/\.spec\.mjs$/, ''))).sort();

function emit(o) { process.stdout.write(JSON.stringify({ result: o }) + '\n'); }

const browser = await launch();
try {
  for (const f of files) {
    const spec = (await import(pathToFileURL(path.join(here, f)))).default;
    for (const test of spec) {
      const name = `${f.replace(/\.spec\.mjs$/, '')}/${test.name}`;
      if (match && !match.test(name)) continue;
      const t = new Ctx(browser, name);
      const start = Date.now();
      try {
        await test.run(t);
        if (t.logs.length && !test.allowConsoleErrors) throw new Error(`the page logged errors:\n  ${t.logs.join('\n  ')}`);
        emit({ name, ok: true, ms: Date.now() - start, notes: t.notes });
      } catch (e) {
        emit({ name, ok: false, error: (e && e.stack) || String(e), logs: t.logs, ms: Date.now() - start, notes: t.notes });
      } finally {
        await t.close();
      }
    }
  }
} finally {
  await browser.close();
  closeAsks();
}
