import * as fs from 'fs';
import * as path from 'path';

// `make bench`: runs every benchmark module in test/bench (each exports run(log)), or those named
// on the command line, and prints their figures.
async function main(): Promise<void> {
  const names = process.argv.slice(2);
  const all = fs.readdirSync(__dirname)
    .filter((f) => f.endsWith('.js') && f !== 'run.js')
    .map((f) => f.replace(/\.js$/, ''))
    .sort((a, b) => (a === 'pi' ? -1 : b === 'pi' ? 1 : a.localeCompare(b)));
  const chosen = names.length ? names : all;
  for (const name of chosen) {
    const mod = (await import(path.join(__dirname, `${name}.js`))) as { run?: (log: (l: string) => void) => Promise<void> };
    if (typeof mod.run !== 'function') continue;
    console.log(`\n# bench: ${name}`);
    await mod.run((l) => console.log(l));
  }
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
