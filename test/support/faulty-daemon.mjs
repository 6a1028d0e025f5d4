// Test-only launcher: runs faulty-daemon.ts from source (tsx), so HeflProcess can start it
// like dist/cli/main.js. See daemon-faults.ts.
import { register } from 'tsx/esm/api';

register();
await import('./faulty-daemon.ts');
