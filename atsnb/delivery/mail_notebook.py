"""Running a mailing's report notebook: papermill, a fresh kernel, the saved filters as parameters.

The kernel gets the mailing's language and no secret: the ``ATSNB_*`` variables holding a
password, a token or the PBX address are left out of its environment (the report reads only the
store), so neither the executed notebook nor its error messages can show them.  The executed
notebook is written under a temporary name and renamed when papermill finishes, so a run killed
half-way leaves nothing that looks finished.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import nbformat

from atsnb.delivery.mailings import MailError
from atsnb.i18n import t
from atsnb.shipped import notebooks_dir

log = logging.getLogger(__name__)
SECRET_MARKS = ("PASSWORD", "TOKEN", "SECRET")
_environment = threading.Lock()


def kernel_environment(base: Mapping[str, str], language: str) -> dict[str, str]:
    """The environment a report kernel starts with: ``base`` without secrets, in ``language``."""
    env = {k: v for k, v in base.items()
           if not (k.startswith("ATSNB_") and (any(m in k for m in SECRET_MARKS) or k == "ATSNB_PBX_URL"))}
    env["ATSNB_UI_LANGUAGE"] = language
    return env


@contextmanager
def _environment_of_kernels(env: dict[str, str]) -> Iterator[None]:
    """papermill starts its kernel with this process's environment: swap it in for the run."""
    with _environment:
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(env)
        try:
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)


def execute_report(mailing: str, report: str, parameters: dict[str, object], output: Path, *, language: str,
                   timeout_s: int) -> nbformat.NotebookNode:
    """Execute ``notebooks/<report>.ipynb`` with ``parameters`` into ``output``; the executed
    notebook, or :class:`MailError` naming the mailing and the notebook's error."""
    import papermill

    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.stem + ".part.ipynb")
    log.info("mailing %s: running the report %s", mailing, report)
    try:
        with _environment_of_kernels(kernel_environment(os.environ, language)):
            papermill.execute_notebook(str(notebooks_dir() / f"{report}.ipynb"), str(partial), parameters=parameters,
                                       kernel_name="python3", progress_bar=False, cwd=str(output.parent),
                                       execution_timeout=timeout_s)
    except papermill.PapermillExecutionError as exc:
        raise MailError(t("mail_err_notebook", mailing=mailing, error=f"{exc.ename}: {exc.evalue}")) from None
    except TimeoutError:
        raise MailError(t("mail_err_timeout", mailing=mailing, seconds=timeout_s)) from None
    except RuntimeError as exc:  # the kernel died or did not start
        raise MailError(t("mail_err_notebook", mailing=mailing, error=str(exc))) from None
    partial.replace(output)  # a failed run leaves only the .part file, overwritten by the next try
    return nbformat.read(output, as_version=4)
