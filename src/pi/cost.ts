import { hornerShape } from './group-kernel';
import { Scale } from './precision';
import { GROUP_PAIRS, GROUP_TERMS, GROUPED_FROM, GROUPED_FROM_GROUP, MAX_TERMS, TermRange } from './range';

// What summing a range costs, relative to the rest of the series, so that the planner can size a
// task for a time and not only for a count of terms: the work per term is far from uniform. Pairs
// below GROUPED_FROM cost one division each; a group costs one Horner level per ~l2 bits of the
// fixed point, and l2 grows with the group's index, so groups get cheaper as the series goes on,
// except that once A² outgrows a 64-bit word each level divides twice (measured: 0.22 µs per
// level below, 0.33–0.37 µs above, at 32 and 100 digits on x86; 1.6× at 1000 and 2000). A unit
// is one single-word Horner level; a pair below GROUPED_FROM is worth about half of one (0.3–0.7
// measured from 20 to 1000 digits). Only the ratios matter: the planner measures units per second
// on each agent.

const PAIR_UNITS = 0.5;
/** Pairs of the pair kernel past 4j+3 ≈ 2^32 divide by two words (measured ~3× slower). */
const WIDE_PAIR_UNITS = 1.5;
const WIDE_PAIRS_FROM = 2 ** 30;

/** Units of one group whose index has bit length k: A ≈ 4·GROUP_PAIRS·g has k + log2(4·GROUP_PAIRS) bits. */
function groupUnits(k: number, bits: number): number {
  const aBits = k + Math.log2(4 * GROUP_PAIRS);
  const { levels, wide } = hornerShape(aBits, bits);
  return 2 * (levels + 1) * (wide ? 1.5 : 1); // two one-word divisions per level cost ~1.5 one
}

/**
 * The cost of the series' terms as bands [from, to) of constant units per term, in order, from
 * `start` to MAX_TERMS. Each band is a stretch of the pair kernel or of groups of one bit length.
 */
function* bands(start: number, scale: Scale): Generator<{ from: number; to: number; perTerm: number }> {
  if (scale.kernel === 'pairs') {
    const wideFrom = 2 * WIDE_PAIRS_FROM;
    if (start < wideFrom) yield { from: start, to: wideFrom, perTerm: PAIR_UNITS / 2 };
    yield { from: Math.max(start, wideFrom), to: MAX_TERMS, perTerm: WIDE_PAIR_UNITS / 2 };
    return;
  }
  if (start < GROUPED_FROM) yield { from: start, to: GROUPED_FROM, perTerm: PAIR_UNITS / 2 };
  // Groups with index bit length k: indices [2^(k−1), 2^k), terms [2^(k−1), 2^k)·GROUP_TERMS.
  for (let k = Math.floor(Math.log2(GROUPED_FROM_GROUP)) + 1; 2 ** (k - 1) * GROUP_TERMS < MAX_TERMS; k++) {
    const from = 2 ** (k - 1) * GROUP_TERMS;
    const to = Math.min(MAX_TERMS, 2 ** k * GROUP_TERMS);
    if (to <= start) continue;
    yield { from: Math.max(from, start), to, perTerm: groupUnits(k, scale.bits) / GROUP_TERMS };
  }
}

/** Estimated work units of summing `range` at `scale`. */
export function rangeCost(range: TermRange, scale: Scale): number {
  const end = range.start + range.count;
  let units = 0;
  for (const b of bands(range.start, scale)) {
    if (b.from >= end) break;
    units += (Math.min(end, b.to) - b.from) * b.perTerm;
  }
  return units;
}

/** How many terms from `start` cost about `units` (not rounded to any boundary). */
export function termsForCost(start: number, units: number, scale: Scale): number {
  let left = units;
  for (const b of bands(start, scale)) {
    const whole = (b.to - b.from) * b.perTerm;
    if (left <= whole) return b.from + left / b.perTerm - start;
    left -= whole;
  }
  return MAX_TERMS - start;
}
