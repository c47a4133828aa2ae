"""`python -m kedro` that starts once: this process imports the libraries every Kedro run of the
project imports (~7 s of CPU each time), then forks one child per command it reads on stdin. The
child is a process of its own, as `python -m kedro` is: its working directory, environment, exit
code, output and exit handlers; the project's own package is imported in it, from the project.

Protocol: one JSON line in ({"cwd", "args", "env", "out"}: the command's output goes to the file
`out`), one line out (the exit code). The tests' fixture is `kedro_cli` (tests/conftest.py).
"""

from __future__ import annotations

import atexit
import json
import os
import runpy
import sys
import traceback

REPLIES = os.fdopen(os.dup(1), "w")  # exit codes only: what the imports below log goes to stderr
os.dup2(2, 1)

# what `python -m kedro run` imports before any project code: Kedro's CLI and session, its plugins,
# MLflow, the numeric stack and what the pipelines read with (none of them starts a thread on import, so
# forking after is safe)
import kedro.framework.cli  # noqa: E402, F401
import kedro.framework.session  # noqa: E402, F401
import kedro_mlflow.framework.hooks  # noqa: E402, F401
import mlflow.pyfunc  # noqa: E402, F401
import pandas  # noqa: E402, F401
import pyarrow.parquet  # noqa: E402, F401
import scipy.stats  # noqa: E402, F401
import sqlalchemy  # noqa: E402, F401
import torch  # noqa: E402, F401


def _exit_code(exc: SystemExit) -> int:
    """The status Python's own exit gives a SystemExit (a message is printed, status 1)."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)
    return 1


def _run(request: dict) -> int:
    """Run `python -m kedro <args>` in this (forked) process; its exit code."""
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    out = os.open(request["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(out, 2)
    sys.path[0] = request["cwd"]  # `python -m` puts the working directory first
    sys.argv = ["python -m kedro", *request["args"]]
    try:
        runpy.run_module("kedro", run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as exc:
        code = _exit_code(exc)
    except BaseException:  # what the interpreter does with an uncaught exception
        traceback.print_exc()
        code = 1
    atexit._run_exitfuncs()  # MLflow ends its open runs there, as at a normal exit
    sys.stdout.flush()
    sys.stderr.flush()
    return code


def main() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            os._exit(_run(request))
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status), file=REPLIES, flush=True)


if __name__ == "__main__":
    main()
