"""The rules the tabular preprocessor fits from the data (or reads from the schema) and the
generation keeps: one module a rule, each with its `find_...` (what `TabularPreproc.fit` calls,
never under DP unless it reads only the schema) and what applies it (a mask while sampling, or a
step of decoding). docs/architecture.md, "Synthesis", says which rule does what. One module is no
rule: `numbers.py`, how the rules relating a row's numbers read them (as floats, on a screening
sample, from the rows further up) and put a moved one back on its grid."""
