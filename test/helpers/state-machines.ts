import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

/** A state machine file as deployed: the ASL with its ${Name} placeholders, parsed. */
export function readDefinition(name: string): any {
  return parse(readFileSync(path.resolve(__dirname, '..', '..', 'statemachines', `${name}.asl.yaml`), 'utf8'));
}

/** The placeholders a definition uses (each must have a DefinitionSubstitutions entry). */
export function placeholders(name: string): string[] {
  const text = readFileSync(path.resolve(__dirname, '..', '..', 'statemachines', `${name}.asl.yaml`), 'utf8');
  return [...new Set([...text.matchAll(/\$\{([A-Za-z0-9]+)\}/g)].map((m) => m[1]!))].sort();
}
