// Module resolve hook for tests: prints "PKG name" on stderr for each npm package a process loads.
const seen = new Set();
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  const match = result.url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (match && !seen.has(match[1])) {
    seen.add(match[1]);
    process.stderr.write(`PKG ${match[1]}\n`);
  }
  return result;
}
