"""The two errors the relational core raises: one for schemas, one for data."""


class SchemaError(ValueError):
    """The schema is not a valid forest of tables (or cannot be read)."""


class DataError(ValueError):
    """The data does not fit its schema; the message lists every problem found."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the data:\n{lines}")

    def __reduce__(self) -> tuple:
        # an exception pickles as its class called with `args` (here the message, not the list): from a
        # worker process it came back with its message split into letters
        return type(self), (self.problems,), self.__dict__
