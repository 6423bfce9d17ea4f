/**
 * API report of @dalston/core: one file per entry point (packages/core/api/*.api.md) that
 * lists every exported name with its signature, read from the sources with the TypeScript
 * compiler (no build needed). Interfaces and classes are expanded member by member through
 * the type checker, so a method added to a service shows up in the report of the interface
 * that exposes it. Checked in; CI compares (`npm run api:check`, part of `npm run lint`);
 * `npm run api:report` rewrites the files after an intended change to the public surface.
 *
 * Usage: tsx scripts/api-report.ts [--check]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const core = join(root, 'packages/core');

/** Entry points of @dalston/core: import specifier, source, report file. */
export const ENTRIES = [
  { specifier: '@dalston/core', source: 'src/index.ts', report: 'api/index.api.md' },
  { specifier: '@dalston/core/adapter', source: 'src/adapter.ts', report: 'api/adapter.api.md' },
  { specifier: '@dalston/core/contract', source: 'src/contract/index.ts', report: 'api/contract.api.md' },
  { specifier: '@dalston/core/tsyringe', source: 'src/tsyringe.ts', report: 'api/tsyringe.api.md' },
] as const;

const FORMAT =
  ts.TypeFormatFlags.NoTruncation |
  ts.TypeFormatFlags.UseSingleQuotesForStringLiteralType |
  ts.TypeFormatFlags.WriteArrowStyleSignature;

function program(): ts.Program {
  const configPath = join(root, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  return ts.createProgram({
    rootNames: ENTRIES.map((e) => join(core, e.source)),
    options: { ...parsed.options, noEmit: true },
  });
}

/** One line (or block) per exported name, sorted by name. */
function describeEntry(p: ts.Program, file: string): { names: string[]; text: string } {
  const checker = p.getTypeChecker();
  const source = p.getSourceFile(file);
  if (!source) throw new Error(`${file}: not in the program`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`${file}: not a module`);
  const exports = checker.getExportsOfModule(moduleSymbol).sort((a, b) => a.name.localeCompare(b.name));
  const blocks = exports.map((s) => describeSymbol(checker, s));
  return { names: exports.map((s) => s.name), text: blocks.join('\n') };
}

function describeSymbol(checker: ts.TypeChecker, exported: ts.Symbol): string {
  const s = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
  const name = exported.name;
  const parts: string[] = [];
  for (const d of s.declarations ?? []) {
    if (ts.isInterfaceDeclaration(d)) parts.push(describeInterface(checker, name, d));
    else if (ts.isClassDeclaration(d)) parts.push(describeClass(checker, name, d));
    else if (ts.isTypeAliasDeclaration(d))
      parts.push(`type ${name}${typeParams(d)} = ${oneLine(d.type.getText())};`);
    else if (ts.isFunctionDeclaration(d)) {
      const sig = checker.getSignatureFromDeclaration(d);
      if (sig && (d.body || !parts.length)) parts.push(`function ${name}${signature(checker, sig)};`);
    } else if (ts.isVariableDeclaration(d)) {
      parts.push(
        `const ${name}: ${checker.typeToString(checker.getTypeOfSymbolAtLocation(s, d), d, FORMAT)};`,
      );
    } else if (ts.isEnumDeclaration(d)) parts.push(`enum ${name} ${oneLine(d.getText())}`);
    else if (ts.isModuleDeclaration(d)) parts.push(`namespace ${name}`);
  }
  return [...new Set(parts)].join('\n');
}

const oneLine = (s: string) =>
  s
    .replace(/\s+/g, ' ')
    .replace(/\/\*\*?[\s\S]*?\*\/\s*/g, '')
    .trim();

function typeParams(d: { typeParameters?: ts.NodeArray<ts.TypeParameterDeclaration> }): string {
  return d.typeParameters ? `<${d.typeParameters.map((t) => oneLine(t.getText())).join(', ')}>` : '';
}

function signature(checker: ts.TypeChecker, sig: ts.Signature): string {
  return checker.signatureToString(sig, undefined, FORMAT & ~ts.TypeFormatFlags.WriteArrowStyleSignature);
}

/** Every member of the declared type, through the checker (inherited and mapped ones included). */
function members(
  checker: ts.TypeChecker,
  type: ts.Type,
  at: ts.Node,
  include: (p: ts.Symbol) => boolean = () => true,
): string[] {
  const out: string[] = [];
  for (const p of checker.getPropertiesOfType(type)) {
    if (!include(p)) continue;
    const decl = p.valueDeclaration ?? p.declarations?.[0];
    const mods = decl ? ts.getCombinedModifierFlags(decl as ts.Declaration) : 0;
    if (mods & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) continue;
    if (p.name.startsWith('#') || p.name.startsWith('__@')) continue;
    const readonly = mods & ts.ModifierFlags.Readonly ? 'readonly ' : '';
    const optional = p.flags & ts.SymbolFlags.Optional ? '?' : '';
    const t = checker.getTypeOfSymbolAtLocation(p, at);
    // A method, or a property holding a function (a mapped type turns methods into those).
    const isFunction = p.flags & ts.SymbolFlags.Method || (!t.getProperties().length && !readonly);
    const sigs = isFunction ? t.getCallSignatures() : [];
    if (sigs.length) {
      for (const sig of sigs) out.push(`  ${p.name}${optional}${signature(checker, sig)};`);
    } else {
      out.push(`  ${readonly}${p.name}${optional}: ${checker.typeToString(t, undefined, FORMAT)};`);
    }
  }
  const index = [
    [checker.getIndexInfoOfType(type, ts.IndexKind.String), 'string'],
    [checker.getIndexInfoOfType(type, ts.IndexKind.Number), 'number'],
  ] as const;
  for (const [info, key] of index) {
    if (info) out.push(`  [key: ${key}]: ${checker.typeToString(info.type, undefined, FORMAT)};`);
  }
  for (const sig of type.getCallSignatures()) out.push(`  ${signature(checker, sig)};`);
  return out;
}

function describeInterface(checker: ts.TypeChecker, name: string, d: ts.InterfaceDeclaration): string {
  const type = checker.getTypeAtLocation(d.name);
  return [`interface ${name}${typeParams(d)} {`, ...members(checker, type, d), '}'].join('\n');
}

function describeClass(checker: ts.TypeChecker, name: string, d: ts.ClassDeclaration): string {
  const instance = checker.getTypeAtLocation(d.name ?? d);
  const symbol = d.name ? checker.getSymbolAtLocation(d.name) : undefined;
  const staticSide = symbol ? checker.getTypeOfSymbolAtLocation(symbol, d) : undefined;
  const heritage = d.heritageClauses?.map((h) => ` ${oneLine(h.getText())}`).join('') ?? '';
  const lines = [`class ${name}${typeParams(d)}${heritage} {`];
  for (const sig of staticSide?.getConstructSignatures() ?? []) {
    const text = checker.signatureToString(
      sig,
      undefined,
      FORMAT & ~ts.TypeFormatFlags.WriteArrowStyleSignature,
    );
    lines.push(`  constructor${text.replace(/:\s*[^:]+$/, '')};`);
  }
  if (staticSide) {
    // Own static members only (not Error.captureStackTrace and the like).
    const own = (p: ts.Symbol) => p.declarations?.some((m) => m.parent === d) ?? false;
    for (const m of members(checker, staticSide, d, own)) lines.push(`  static${m.slice(1)}`);
  }
  lines.push(...members(checker, instance, d), '}');
  return lines.join('\n');
}

function render(entry: (typeof ENTRIES)[number], names: string[], text: string): string {
  return [
    `# API report: \`${entry.specifier}\``,
    '',
    `Generated by \`npm run api:report\` from \`packages/core/${entry.source}\`; checked by`,
    '`npm run api:check` (part of `npm run lint`). Do not edit by hand: change the code, then',
    'regenerate and review the diff.',
    '',
    `${names.length} exported names.`,
    '',
    '```ts',
    // Types the checker prints with their module path: keep the name only (paths differ per checkout).
    text.replace(/import\("[^"]*"\)\./g, ''),
    '```',
    '',
  ].join('\n');
}

function main(): void {
  const check = process.argv.includes('--check');
  const p = program();
  const stale: string[] = [];
  for (const entry of ENTRIES) {
    const { names, text } = describeEntry(p, join(core, entry.source));
    const out = render(entry, names, text);
    const file = join(core, entry.report);
    let current = '';
    try {
      current = readFileSync(file, 'utf8');
    } catch {}
    console.log(`${entry.specifier}: ${names.length} exported names`);
    if (current === out) continue;
    if (check) stale.push(`packages/core/${entry.report}`);
    else writeFileSync(file, out);
  }
  if (stale.length) {
    console.error(
      `The public API changed and the report is stale: ${stale.join(', ')}.\n` +
        'Run `npm run api:report`, review the diff, and commit it with the change.',
    );
    process.exit(1);
  }
}

main();
