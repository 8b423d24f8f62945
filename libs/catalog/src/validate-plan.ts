import { catalog } from './catalog';
import { MeterType } from './catalog-model';
import { EVENT_ATTRIBUTES, isEventAttribute } from './event-attributes';

/** Per-type checks and their messages, built once from the catalog so that validating an event
 *  does no catalog walking, set building or message formatting on the happy path. */
export interface TypePlan {
  readonly meter: MeterType;
  readonly notIntegerMessage: string;
  readonly attributes: readonly AttributeRule[];
}

export type AttributeRule = EnumRule | IntegerRule;

interface RuleBase {
  readonly name: string;
  readonly path: string;
  readonly required: boolean;
  readonly requiredMessage: string;
}

export interface EnumRule extends RuleBase {
  readonly kind: 'enum';
  readonly field: 'size' | 'gpu';
  readonly values: ReadonlySet<string>;
  readonly expected: string;
}

export interface IntegerRule extends RuleBase {
  readonly kind: 'integer';
  readonly field: 'memoryMb';
  readonly min: number;
  readonly message: string;
}

export const typePlans: ReadonlyMap<string, TypePlan> = new Map(catalog.types.map((t) => [t.type, planFor(t)]));

export const expectedTypes = `expected one of ${catalog.types.map((t) => t.type).join(', ')}`;
export const expectedRegions = `expected one of ${catalog.regions.map((r) => r.code).join(', ')}`;

function planFor(meter: MeterType): TypePlan {
  const attributes: AttributeRule[] = [];
  for (const spec of meter.attributes) {
    // compileCatalog already refused attributes the event cannot carry or carries as another kind.
    if (!isEventAttribute(spec.name)) continue;
    const carried = EVENT_ATTRIBUTES[spec.name];
    const base = {
      name: spec.name,
      path: `data.${spec.name}`,
      required: spec.required,
      requiredMessage: `is required for ${meter.type}`,
    };
    if (spec.kind === 'enum' && carried.kind === 'enum') {
      attributes.push({
        ...base,
        kind: 'enum',
        field: carried.field,
        values: new Set(spec.values),
        expected: `expected one of ${spec.values.join(', ')}`,
      });
    } else if (spec.kind === 'integer' && carried.kind === 'integer') {
      attributes.push({
        ...base,
        kind: 'integer',
        field: carried.field,
        min: spec.min,
        message: `must be an integer >= ${spec.min}`,
      });
    }
  }
  return { meter, notIntegerMessage: `must be an integer for unit '${meter.unit}'`, attributes };
}
