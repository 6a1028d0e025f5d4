// Regenerates proto/gen from proto/hefl/v1/*.proto with buf + ts-proto, offline.
// The generated code is committed; a test fails when it is stale.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const buf = join(dirname(require.resolve('@bufbuild/buf/package.json')), 'bin', 'buf');
const protoDir = join(root, 'proto');
rmSync(join(protoDir, 'gen'), { recursive: true, force: true });
execFileSync(buf, ['generate'], { cwd: protoDir, stdio: 'inherit' });
