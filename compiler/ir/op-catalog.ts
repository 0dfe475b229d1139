// The names of the primitive ops and their attribute types, as types. The IR sits below the ops, so it cannot import
// them: each op's file adds its entries to OpCatalog by module augmentation, and a misspelled op name or a wrong
// attribute fails to type-check at the call site. Kept apart from the registry so that every IR file can name ops
// without an import cycle (the registry holds OpSemantics, whose gradient context builds ops by name).

/** Every primitive op's attributes, by op name: one entry per op, added by the op's own file. */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface OpCatalog {}

export type OpName = keyof OpCatalog & string;
export type OpAttrs<N extends OpName> = OpCatalog[N];

/** The attributes of an op that has none: an empty object, and nothing may be added to it. */
export type NoAttrs = Readonly<Record<string, never>>;

/** The ops whose attributes are `A` (or extend it): what a helper defining several ops at once may be given. */
export type OpsWithAttrs<A> = { [N in OpName]: OpAttrs<N> extends A ? N : never }[OpName];

/**
 * The attribute argument of a call that builds op `N`, followed by `Rest`: optional exactly when every attribute of
 * the op is (so `op("add", [a, b])` and `op("reshape", [x], { shape })`, never `op("reshape", [x])`).
 */
export type OpAttrsArg<N extends OpName, Rest extends unknown[] = []> = {} extends OpAttrs<N>
  ? [attrs?: OpAttrs<N>, ...rest: Rest]
  : [attrs: OpAttrs<N>, ...rest: Rest];
