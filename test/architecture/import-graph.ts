import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** One import written in a source file, resolved to a repository file or an npm package. */
export interface ImportEdge {
  /** Repository-relative path of the importing file, with `/` separators. */
  readonly from: string;
  /** The specifier as written (`'../common/he/index.js'`, `'node-seal'`). */
  readonly specifier: string;
  /** Repository-relative `.ts` path for a relative import, else undefined. */
  readonly file?: string;
  /** The npm package (`@grpc/grpc-js`, `node-seal`) for a bare specifier, else undefined. */
  readonly packageName?: string;
  /** `import type` / `export type`: erased from the JavaScript, so nothing loads at run time. */
  readonly typeOnly: boolean;
  /** `import()` or `require()`: loads when the code runs, not when the file is loaded. */
  readonly dynamic: boolean;
}

/** The repository root (this file lives in `test/architecture/`). */
export const REPOSITORY_ROOT = fileURLToPath(new URL('../..', import.meta.url));

const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', 'results', '.git']);

/** Every `.ts` file under `folders` (repository-relative, `/` separators), sorted. */
export function sourceFiles(root: string, folders: readonly string[]): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!SKIPPED_FOLDERS.has(entry.name)) walk(join(dir, entry.name));
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        files.push(relative(root, join(dir, entry.name)).split(sep).join('/'));
      }
    }
  };
  for (const folder of folders) walk(join(root, folder));
  return files.sort();
}

/**
 * The imports of one file from its syntax tree: import and re-export declarations (type-only
 * ones flagged), `import()` and `require()` calls with a literal specifier. Relative
 * specifiers resolve to the `.ts` file they name (`./x.js` -> `x.ts`).
 */
export function importsOf(file: string, text: string): ImportEdge[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const edges: ImportEdge[] = [];
  const add = (specifier: string, typeOnly: boolean, dynamic: boolean) => {
    edges.push({ from: file, specifier, typeOnly, dynamic, ...resolveSpecifier(file, specifier) });
  };
  const check = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier.text, isTypeOnlyImport(node), false);
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      add(node.moduleSpecifier.text, node.isTypeOnly, false);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const expression = node.moduleReference.expression;
      if (ts.isStringLiteral(expression)) add(expression.text, node.isTypeOnly, false);
    } else if (ts.isCallExpression(node) && node.arguments.length >= 1) {
      const [first] = node.arguments;
      const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      if ((isImport || isRequire) && first && ts.isStringLiteralLike(first)) add(first.text, false, true);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      const literal = node.argument.literal;
      if (ts.isStringLiteral(literal)) add(literal.text, true, false);
    }
  };
  const visit = (node: ts.Node): void => {
    check(node);
    ts.forEachChild(node, visit);
  };
  // Declarations sit at the top level; calls and import types anywhere, so the whole tree is
  // walked only when the text has one (most files have none: the walk is the slow part).
  if (/\b(import|require)\s*\(/.test(text)) visit(source);
  else for (const statement of source.statements) check(statement);
  return edges;
}

function isTypeOnlyImport(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause;
  if (clause === undefined) return false; // `import 'x'` runs x
  if (clause.isTypeOnly) return true;
  if (clause.name !== undefined) return false;
  const bindings = clause.namedBindings;
  return (
    bindings !== undefined &&
    ts.isNamedImports(bindings) &&
    bindings.elements.length > 0 &&
    bindings.elements.every((element) => element.isTypeOnly)
  );
}

function resolveSpecifier(file: string, specifier: string): { file?: string; packageName?: string } {
  if (specifier.startsWith('.')) {
    const target = posix.normalize(posix.join(posix.dirname(file), specifier));
    return { file: target.replace(/\.js$/, '.ts') };
  }
  if (specifier.startsWith('node:')) return { packageName: specifier };
  const parts = specifier.split('/');
  return { packageName: specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]! };
}

/** All import edges of `files` (repository-relative paths under `root`). */
export function importGraph(root: string, files: readonly string[]): ImportEdge[] {
  return files.flatMap((file) => importsOf(file, readFileSync(join(root, file), 'utf8')));
}
