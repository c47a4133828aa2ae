"""References: foreign keys that do not nest their rows (`Schema.references`), such as an
invoice line's track when the line nests under its invoice.

The model does not write them. The fit keeps, per reference, the share of rows whose key is null
(per value of the row's field that best tells: a question names no parent post, an answer always one),
how many rows reference each row of the referenced table (its *degree*: a track bought 0, 1 or 5
times) as quantiles, and which values of the two rows go together (*affinity*: a line's price
and its track's price): per pair of tokens, one of the referencing row and one of the referenced
row, how much more (or less) often they meet than chance, kept only where at least `min_count`
pairs are expected or seen (as rare categories are protected) and the difference is beyond
noise. Generation gives each synthetic referenced row a degree drawn from the quantiles, deals
out that many slots, and pairs the referencing rows with the slots in random blocks, each block
by an assignment that maximises the summed affinity plus Gumbel noise (a sample, not the single
best pairing). So the synthetic database keeps how often rows are referenced (a few tracks bought
often, most never) and which kind of row references which. A reference to its own table (an
employee's manager) only names an earlier row, so the references never form a cycle.

The package, one module a concern:

- `fit`: the statistics the fit keeps per reference (`reference_stats`): null share, degree
  quantiles, degree effects and their copula, token affinities, the `within` scope, unique pairs,
  and the link tables whose keys never repeat (`unique_links`; under DP only those the source
  declares, `declared_links`), those storing each pair both ways (`mirrored_links`), and the
  numbers among their keys that count their group's rows (`row_numbers`).
- `degrees`: dealing degrees out to referenced rows (`stratified`, `ranked`, `deal`, `capped`).
- `pairing`: the tokens an affinity reads and pairing rows by it (`coarse_tokens`,
  `field_tokens`, `Affinity`, `pair_up`).
- `generate`: filling the generated tables' reference columns (`assign_references`,
  `draw_references`, `draw_within`, `without_repeats`, `copy_totals`, `drop_repeated_links`,
  `mirror_links`, `keep_composite_references`).
- `redeal`: a link row repeating its key given another key of one reference whose fitted rules
  allow it, before `drop_repeated_links` drops it (`redeal_repeats`).
- `added_rows`: a referenced row added to a group (a tenant) whose rows name one of its rows
  and the model generated none there.
- `copies`: values a referencing row copies from the row it references.
- `cycles`: links that close no cycle where the data's never do (a bill of materials).
- `extremes`: keys naming their scope's row of the greatest (or least) number far above chance (a
  country's capital, its largest city), moved onto it in the data's share (`keep_extreme_keys`).
- `extreme_rows`: a row's key naming what its child row of the greatest (or least) number names in
  every training row (an auction's winner, its highest bid's bidder), set so (`keep_extreme_row_keys`).
- `same_values`: labels a row shares with the row it names far above chance (a client's district,
  its account's), weighing the pairing.
- `decided`: a key another key of its row decides in every training row (an order item's seller,
  its product's), set once every key is dealt, each key keeping the rows it was dealt.
"""

from relsynth.synth.tabular._references.copies import copy_values, decided_by
from relsynth.synth.tabular._references.degrees import deal
from relsynth.synth.tabular._references.extremes import find_extreme_keys
from relsynth.synth.tabular._references.fit import (
    declared_apart,
    declared_links,
    declared_numbers,
    keyed_links,
    mirrored_links,
    parent_copies,
    reference_stats,
    row_numbers,
    unique_links,
)
from relsynth.synth.tabular._references.generate import (
    assign_references,
    copy_totals,
    date_order,
    declared_not_null,
    draw_references,
    drop_repeated_links,
    keep_composite_references,
    keep_extreme_keys,
    keep_within_any,
    mirror_links,
    own_date,
    slot_groups,
    unique_with_rows,
)

__all__ = [
    "assign_references",
    "copy_totals",
    "copy_values",
    "decided_by",
    "date_order",
    "deal",
    "declared_apart",
    "declared_links",
    "declared_not_null",
    "declared_numbers",
    "draw_references",
    "drop_repeated_links",
    "find_extreme_keys",
    "keep_extreme_keys",
    "keyed_links",
    "keep_composite_references",
    "keep_within_any",
    "mirror_links",
    "mirrored_links",
    "own_date",
    "parent_copies",
    "reference_stats",
    "row_numbers",
    "unique_links",
    "slot_groups",
    "unique_with_rows",
]
