import { MeterType, Region, SkuPart } from './catalog-model';

/** A template as written, before its placeholders are resolved against the type and regions. */
export type TemplateToken = { kind: 'text'; text: string } | { kind: 'placeholder'; name: string };

const PLACEHOLDER_NAME = /^[a-z][a-z0-9_]*$/;

export function parseSkuTemplate(template: string): { tokens: TemplateToken[] } | { problem: string } {
  const tokens: TemplateToken[] = [];
  let at = 0;
  while (at < template.length) {
    const open = template.indexOf('{', at);
    const close = template.indexOf('}', at);
    if (open === -1) {
      if (close !== -1) return { problem: `unmatched '}' at ${close}` };
      tokens.push({ kind: 'text', text: template.slice(at) });
      break;
    }
    if (close !== -1 && close < open) return { problem: `unmatched '}' at ${close}` };
    if (open > at) tokens.push({ kind: 'text', text: template.slice(at, open) });
    const end = template.indexOf('}', open);
    if (end === -1) return { problem: `unmatched '{' at ${open}` };
    const name = template.slice(open + 1, end);
    if (!PLACEHOLDER_NAME.test(name)) return { problem: `bad placeholder '{${name}}'` };
    tokens.push({ kind: 'placeholder', name });
    at = end + 1;
  }
  return { tokens };
}

/** Undefined when an attribute the template names is not a string; callers check membership. */
export function renderSku(
  parts: readonly SkuPart[],
  attrs: Readonly<Record<string, unknown>>,
  region: Region,
): string | undefined {
  let sku = '';
  for (const part of parts) {
    if (part.kind === 'text') sku += part.text;
    else if (part.kind === 'region') sku += region[part.field];
    else {
      const value = attrs[part.name];
      if (typeof value !== 'string') return undefined;
      sku += value;
    }
  }
  return sku;
}

/** Every SKU a type can produce: each combination of its templated attributes' values, rendered
 *  for every region so region-derived parts take only the values real regions have. */
export function enumerateSkus(type: MeterType, regions: readonly Region[]): string[] {
  const names = [...new Set(type.skuParts.flatMap((p) => (p.kind === 'attribute' ? [p.name] : [])))];
  const combos = names.reduce<Record<string, string>[]>(
    (acc, name) => acc.flatMap((attrs) => valuesOf(type, name).map((v) => ({ ...attrs, [name]: v }))),
    [{}],
  );
  const skus = new Set<string>();
  for (const attrs of combos) {
    for (const region of regions) {
      const sku = renderSku(type.skuParts, attrs, region);
      if (sku !== undefined) skus.add(sku);
    }
  }
  return [...skus];
}

function valuesOf(type: MeterType, name: string): readonly string[] {
  const spec = type.attributes.find((a) => a.name === name);
  return spec !== undefined && spec.kind === 'enum' ? spec.values : [];
}
