"""Foreign keys `Schema.infer` finds itself when the caller gives none (`foreign_keys=None`).

CSVs loaded without declared keys were read as unrelated root tables: no relational structure
learnt, only the fit's `key_like` notes saying "declare it a foreign key". A column is read as a
key to table P when both its name and its values say so:

- its name, case- and underscore-insensitive, with a key suffix (`_id`, `Id`, `_fk`, `_key`,
  `_code`) or none removed, names P, singular or plural (`artist`, `artist_id`, `ArtistId`,
  `categories_id` -> `category`), or equals P's primary key's name where that name says
  more than `id` (`ArtistId` in both tables); or, where it names no table so, it ends with P's
  name after a role word and before a key suffix (`home_team_id`, `billing_address_id`); or,
  where its name is a role's key naming no table (`sender_id`, `created_by`), P is the one table
  whose keys hold all its values, and chance is ruled out (`_chance`: 20 distinct strings, or whole
  numbers that as many random ones would all be keys of at most one time in a million: ids
  7, 14, 21..., never a dense counter's 1 to 50, which any table of 50 rows or more holds); a
  column of strings (codes, not ids) is read so whatever its name (a flight's `origin`, IATA codes);
- P has a single-column primary key, given or guessed (a small table's counter, or else its
  column named `id` or `<P>_id` of distinct values, or else its one column of 20 distinct
  strings at least holding every value of another table's column of 20 at least: `airports.iata`;
  kept as its key because this column names it), and every non-null value of the column is one
  of its keys, of the same type (whole numbers with whole numbers, else the same strings).

A key to its own table (an employee's `reports_to`, a category's `parent_id`, a person's `mother_id`)
is read only where its name says it names a row of the same kind (`SELF_ROLES`, `KIN_ROLES` ending
it, or the table's name after a role word: `parent_category_id`), every non-null value is one of the table's keys and fits them better than
any other table's (`_spread`), and following them from any row never comes back round: a tree, so
a `parent_id` naming another table's rows, with no nulls or a row twice up its chain, is none.

Never a table's own key, nor a column whose name fits two tables: a wrong key would bind unrelated
rows, worse than a missed one, which the fit's `key_like` notes still report.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

KEY_SUFFIXES = ("id", "fk", "key", "code")  # removed from a column's name to find the table it names
GENERIC_KEYS = {"", *KEY_SUFFIXES}  # primary key names that say nothing of their table (`id`)
_WHOLE = re.compile(r"-?(?:0|[1-9]\d{0,17})")
ROLE_ENDINGS = (*KEY_SUFFIXES, "by", "to")  # a role's key, after a role word: sender_id, created_by, assigned_to
MIN_ROLE_CODES = 20  # distinct strings a role's key holds before its values alone name a table
MAX_CHANCE = 1e-6  # the chance, at most, that a role's whole numbers would all be one table's keys unrelated
# words that name a row of a column's own table: a tree's parent, the person one reports to. Not
# `manager`: a store's manager_id names employees, and a few stores' values can chance to form a tree
SELF_ROLES = (("parent",), ("reports", "to"), ("report", "to"))
# a family tree's or a pedigree's parents: a person's mother_id, an animal's sire_id. Read only as the
# name's last word before a key suffix: `mother_tongue` and `father_name` name no row
KIN_ROLES = (("mother",), ("father",), ("sire",), ("dam",))


def infer_links(
    data: Mapping[str, pd.DataFrame],
    keys: Mapping[str, str],
    skip: Mapping[str, set[str]],
    lookups: set[str],
) -> dict[str, dict[str, tuple[str, str]]]:
    """table -> {column: (table it names, why)} of the columns read as foreign keys; `keys`: each
    table's primary key column (given or guessed), `skip`: table -> columns declared otherwise."""
    key_values = {
        t: held
        for t, k in keys.items()
        if k in data[t].columns and (held := _comparable(data[t][k])) is not None  # a missing key: refused later
    }
    out: dict[str, dict[str, tuple[str, str]]] = {}
    for table, df in data.items():
        for col in df.columns:
            if col == keys.get(table) or col in skip.get(table, set()):
                continue
            named = _best_named(col, [ref for ref in key_values if ref != table], keys)
            if not named and table in key_values and (how := _self_named(col, table)):
                if (why := _self_held(df, col, table, keys[table], key_values)) is not None:
                    out.setdefault(table, {})[col] = (table, f"inferred foreign key (-> {table}): {how}, {why}")
                    continue
            # a role's key (`sender_id`), or codes named as no key (`origin`: an airport's IATA code)
            by_values = not named and (_role_named(col) or _strings(df[col]))
            if by_values and (found := _named_by_values(df[col], table, keys, key_values)):
                if table not in lookups or found[0] in lookups:
                    out.setdefault(table, {})[col] = (found[0], f"inferred foreign key (-> {found[0]}): {found[1]}")
                continue
            if len(named) != 1 or (table in lookups and named[0][0] not in lookups):
                continue  # none, or a name fitting two tables; a lookup's keys name lookups only
            ref, how = named[0]
            if (why := _held_by(df[col], key_values[ref], ref, keys[ref])) is not None:
                out.setdefault(table, {})[col] = (ref, f"inferred foreign key (-> {ref}): {how}, {why}")
    return out


def named_key(df: pd.DataFrame, table: str, skip: set[str]) -> tuple[str, str] | None:
    """(column, why) of a table's first column named as its key (`id`, `artist_id` in `artist`)
    whose values are distinct, none null, whole numbers or strings: a key where no counter is one
    (ids 7, 14, 21..., a table of one row), to be kept only where another table's column names it."""
    for col in df.columns:
        plain = _plain(col)
        named = plain == "id" or any(
            _singulars(stem) & _singulars(_plain(table)) for stem in _stems(col) - {plain}
        )  # a key suffix needed: a column `artist` in artist is its name
        if col in skip or not named or df[col].isna().any() or not df[col].is_unique:
            continue
        if _comparable(df[col]) is not None:
            return col, f"named as {table}'s key, its {len(df)} values distinct"
    return None


def held_key(df: pd.DataFrame, table: str, data: Mapping[str, pd.DataFrame], skip: set[str]) -> tuple[str, str] | None:
    """(column, why) of a keyless table's one column of distinct strings, none null, holding every
    value of a column of another table, each in `MIN_ROLE_CODES` distinct strings at least (an
    airport's IATA code `LHR`, every flight's origin one of them): a natural key its name does not
    say, to be kept only where such a column is read as a key to it. None where no column, or two,
    hold one."""
    found = []
    for col in df.columns:
        keys = _comparable(df[col]) if col not in skip and df[col].notna().all() and df[col].is_unique else None
        if keys is None or ptypes.is_integer_dtype(keys.dtype) or len(keys) < MIN_ROLE_CODES:
            continue
        if (holder := _held_column(set(keys.tolist()), table, data)) is not None:
            found.append((col, f"its {len(keys)} distinct strings hold each value of {holder}"))
    return found[0] if len(found) == 1 else None


def _held_column(keys: set[str], table: str, data: Mapping[str, pd.DataFrame]) -> str | None:
    """`table.column` of the first column of another table whose values, strings in
    `MIN_ROLE_CODES` distinct values at least, are all among `keys`; None where none is."""
    for other, frame in data.items():
        for col in frame.columns if other != table else []:
            held = _comparable(frame[col].drop_duplicates())
            if held is None or ptypes.is_integer_dtype(held.dtype) or held.nunique() < MIN_ROLE_CODES:
                continue
            if held.isin(keys).all():
                return f"{other}.{col}"
    return None


def _strings(values: pd.Series) -> bool:
    """Whether `values`' non-null values are strings that are not whole numbers (codes, not ids)."""
    held = _comparable(values)
    return held is not None and not held.empty and not ptypes.is_integer_dtype(held.dtype)


def names_another(col: str, table: str, data: Mapping[str, pd.DataFrame]) -> bool:
    """Whether `col` of `table` is named as a key to another table of `data` (by name only), or
    as a role's by `by` or `to` (`created_by`, `assigned_to`: a row it names, never its own key,
    though a 3-row table's created_by may count 1 to 3)."""
    return _words(col)[-1:] in (["by"], ["to"]) or any(other != table and _names(col, other, "") for other in data)


def _plain(name: str) -> str:
    """A name lowercased, without `_`, `-`, spaces or dots: `Artist_Id` and `artistid` alike."""
    return re.sub(r"[\s_.\-]", "", str(name)).lower()


def _singulars(name: str) -> set[str]:
    """A plain name and its possible singulars (`categories` -> `category`, `boxes` -> `box`)."""
    out = {name}
    if name.endswith("ies") and len(name) > 3:
        out.add(name[:-3] + "y")
    if name.endswith("es") and len(name) > 2:
        out.add(name[:-2])
    if name.endswith("s") and len(name) > 1:
        out.add(name[:-1])
    return out


def _words(name: str) -> list[str]:
    """A name's words, lowercased: `ReportsTo`, `reports_to` and `REPORTS TO` -> ["reports", "to"]."""
    return [w.lower() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", str(name))]


def _self_named(col: str, table: str) -> str:
    """How `col`'s name says it names a row of its own `table` (a role of `SELF_ROLES`, one of
    `KIN_ROLES` ending it: `mother_id`, `BirthFatherId`, or the table's name after another word: `parent_category_id`, `MasterAccountId`); "" where it does not."""
    words = _words(col)
    if words and words[-1] in KEY_SUFFIXES:
        words = words[:-1]
    for role in SELF_ROLES:
        if any(tuple(words[i : i + len(role)]) == role for i in range(len(words))):
            return f"its name names a role ({' '.join(role)}) of a row of its own table"
    for role in KIN_ROLES:
        if tuple(words[-len(role) :]) == role:
            return f"its name names a kin role ({' '.join(role)}) of a row of its own table"
    own = _words(table)
    if len(words) > len(own) and _singulars("".join(words[-len(own) :])) & _singulars(_plain(table)):
        return f"its name names its own table {table} after a role"
    return ""


def _stems(col: str) -> set[str]:
    """A column's plain name, and that name less one key suffix (`artist_id` -> `artist`)."""
    plain = _plain(col)
    return {plain} | {plain[: -len(s)] for s in KEY_SUFFIXES if plain.endswith(s) and len(plain) > len(s)}


def _names(col: str, table: str, key: str) -> str:
    """How `col`'s name names `table` (whose primary key is `key`); "" where it does not."""
    if _plain(col) == _plain(key) and _plain(key) not in GENERIC_KEYS:
        return f"named as {table}'s primary key {key}"
    wanted = _singulars(_plain(table))
    if any(_singulars(stem) & wanted for stem in _stems(col)):
        return f"its name names {table}"
    return ""


def _names_in_role(col: str, table: str) -> str:
    """How `col`'s name names `table` after a role word and before a key suffix (`home_team_id`,
    `billing_address_id`, `ParentMediaTypeId` -> team, address, media_type); "" where it does not."""
    words, own = _words(col), _words(table)
    if len(words) < len(own) + 2 or words[-1] not in KEY_SUFFIXES:
        return ""  # a role, the table's name and a key suffix: `billing_address` alone may be an address
    stem = words[:-1]
    if not _singulars("".join(stem[-len(own) :])) & _singulars(_plain(table)):
        return ""
    return f"its name names {table} in a role ({' '.join(stem[: -len(own)])})"


def _best_named(col: str, tables: list[str], keys: Mapping[str, str]) -> list[tuple[str, str]]:
    """(table, how) of the tables `col`'s name names most closely: by name or primary key name
    (`_names`), else after a role word, the longest name first (`away_media_type_id`: media_type,
    not type)."""
    named = [(ref, how) for ref in tables if (how := _names(col, ref, keys[ref]))]
    if named:
        return named
    in_role = [(ref, how, len(_words(ref))) for ref in tables if (how := _names_in_role(col, ref))]
    longest = max((n for *_, n in in_role), default=0)
    return [(ref, how) for ref, how, n in in_role if n == longest]


def _comparable(values: pd.Series) -> pd.Series | None:
    """The non-null values as whole numbers where every one is one (as integers, whole floats or
    plain digits), else as strings; None for booleans or decimals, which name no row."""
    held = values.dropna()
    if ptypes.is_bool_dtype(held.dtype) or held.map(lambda v: isinstance(v, bool | np.bool_)).any():
        return None
    if ptypes.is_numeric_dtype(held.dtype):
        return held.astype(np.int64) if (held % 1 == 0).all() else None
    if held.map(lambda v: isinstance(v, str)).all():
        if len(held) and held.str.fullmatch(_WHOLE.pattern).all():
            return held.astype(np.int64)
        return held.astype(str)
    if held.map(lambda v: isinstance(v, int | np.integer)).all():
        return held.astype(np.int64)
    return None


def _held_by(values: pd.Series, keys: pd.Series, table: str, key: str) -> str | None:
    """Why `values` name rows of `table` (every non-null value one of its keys), or None."""
    held = _comparable(values)
    if held is None or held.empty or ptypes.is_integer_dtype(held.dtype) != ptypes.is_integer_dtype(keys.dtype):
        return None
    if not held.isin(set(keys.tolist())).all():
        return None
    return f"each of its {held.nunique()} distinct values one of {table}.{key}'s {keys.nunique()}"


def _self_held(df: pd.DataFrame, col: str, table: str, key: str, key_values: Mapping[str, pd.Series]) -> str | None:
    """Why `col` names rows of its own `table` (whose keys are `key_values[table]`), or None: every
    non-null value one of its keys, the values fitting them better than any other table's keys
    (`_spread`: the ids 1 to 5 under 50 tasks name the 5 projects), and following them from any
    row ends at a row with none, never round a cycle."""
    keys = key_values[table]
    if not keys.is_unique or (why := _held_by(df[col], keys, table, key)) is None:
        return None
    refs = _comparable(df[col])
    own = _spread(refs, keys)
    if any(_spread(refs, other) >= own for t, other in key_values.items() if t != table):
        return None  # another table's keys hold them as well or better: whose rows they name is unsaid
    key_rows = np.flatnonzero(df[key].notna().to_numpy())  # `keys` and `refs` hold the non-null values in row order
    up = np.full(len(df), -1, dtype=np.int64)  # each row's referenced row, -1 for none
    up[np.flatnonzero(df[col].notna().to_numpy())] = key_rows[pd.Index(keys.to_numpy()).get_indexer(refs.to_numpy())]
    for _ in range(len(df).bit_length()):  # pointer doubling: after k steps, each row's 2**k-th ancestor
        up = np.where(up >= 0, up[up], -1)
    if (up >= 0).any():
        return None  # a row whose chain never ends: round a cycle
    return f"{why}, fitting them better than another table's, and following them from any row ends at a row with none"


def _spread(values: pd.Series, keys: pd.Series) -> float:
    """How likely `values`' distinct values, drawn at random among `keys`, would lie as low among
    them as they do: (share of the keys up to the highest value) ** (distinct values); 1 for strings
    (no order to weigh), 0 where a value is no key (or of another type)."""
    same_type = ptypes.is_integer_dtype(values.dtype) == ptypes.is_integer_dtype(keys.dtype)
    if not same_type or not values.isin(set(keys.tolist())).all():
        return 0.0
    if not ptypes.is_integer_dtype(keys.dtype):
        return 1.0
    return float((keys <= values.max()).mean() ** values.nunique())


def _role_named(col: str) -> bool:
    """Whether `col` is named as a role's key: a role word and a key suffix, `by` or `to`
    (`sender_id`, `created_by`, `assigned_to`), naming no table itself."""
    words = _words(col)
    return len(words) >= 2 and words[-1] in ROLE_ENDINGS


def _named_by_values(
    values: pd.Series, table: str, keys: Mapping[str, str], key_values: Mapping[str, pd.Series]
) -> tuple[str, str] | None:
    """(table, why) of the one table whose keys hold all of a role's `values`, not `table` itself,
    where chance is ruled out (`_chance`), or None: where two tables' keys hold them (`table`'s own
    keys among them: a parent_id of its own rows that forms no tree names no other table), or where ids
    1 to 50 would be any dense counter's (a sender_id among 50 users and 500 messages, a store_id
    naming stores the database lacks), whose rows they name is not said by the values."""
    held = _comparable(values)
    if held is None or held.empty:
        return None
    holders = [t for t, k in key_values.items() if _spread(held, k) > 0]  # `table` too: a parent_id of its rows
    if len(holders) != 1 or (ref := holders[0]) == table or (chance := _chance(held, key_values[ref])) is None:
        return None
    return ref, (
        f"each of its {held.nunique()} distinct values one of {ref}.{keys[ref]}'s "
        f"{key_values[ref].nunique()} and of no other table's keys, {chance}"
    )


def _chance(held: pd.Series, keys: pd.Series) -> str | None:
    """Why `held`'s values (all `keys`) would not all be keys by chance, or None: whole numbers
    where as many drawn at random between their lowest and highest would all be keys at most
    `MAX_CHANCE` of the time (ids 7, 14, 21...: 1 in 7 each; a dense counter's: always); strings
    in `MIN_ROLE_CODES` distinct values at least (`A` to `E` may be grades as well as codes)."""
    distinct = held.nunique()
    if not ptypes.is_integer_dtype(held.dtype):
        return f"{distinct} distinct strings (at least {MIN_ROLE_CODES})" if distinct >= MIN_ROLE_CODES else None
    lo, hi = int(held.min()), int(held.max())
    share = float(keys.between(lo, hi).sum()) / (hi - lo + 1)  # the keys' share of the whole numbers they span
    if share**distinct > MAX_CHANCE:
        return None
    return f"{share:.2g} of the whole numbers from {lo} to {hi} keys: all by chance at most {share**distinct:.1g}"
