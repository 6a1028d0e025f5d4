// Makes the built CLI entry point executable so `npx hefl` works after `npm ci`.
import { chmodSync, existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('build: dist/cli/main.js is missing; did tsc fail?');
  process.exit(1);
}
chmodSync(entry, 0o755);
