"""How many dashboard kernels this machine can hold, and which pages keep one preheated.

Every open dashboard is a Python process of its own (a Voila kernel).  After the kernel-memory
settings of :mod:`atsnb.web.kernels` a report page's kernel holds about :data:`KERNEL_MB` after its
first paint (``benchmarks/kernels.py`` measures it), so the default cap gives the kernels half of
the memory this server may use — the machine's, or less when a cgroup (systemd ``MemoryMax``, a
container) limits it — and leaves the rest to the store's readers, the page cache and the system.

This module imports nothing of Jupyter: ``atsnb serve`` reads it before Voila starts.
"""

from __future__ import annotations

import os
from pathlib import Path

KERNEL_MB = 250
MEMORY_SHARE = 0.5
MIN_KERNELS = 4
MAX_KERNELS = 64
# Pages that read their address while they are built, before ``wait_for_request`` could hand it
# over: a kernel built ahead would show the default search instead of the call in the link.
COLD_ONLY = ("records",)
CGROUPS = Path("/sys/fs/cgroup")


def cgroup_limit() -> int | None:
    """The lowest ``memory.max`` of this process's cgroup (v2) and the groups above it, if any."""
    try:
        own = next(line[3:] for line in Path("/proc/self/cgroup").read_text().splitlines() if line.startswith("0::"))
    except (OSError, StopIteration):
        return None
    limits = []
    folder = CGROUPS / own.strip().lstrip("/")
    while True:
        try:
            value = (folder / "memory.max").read_text().strip()
        except OSError:
            value = ""
        if value.isdigit():
            limits.append(int(value))
        if folder == CGROUPS or CGROUPS not in folder.parents:
            break
        folder = folder.parent
    return min(limits) if limits else None


def memory_bytes() -> int:
    """The memory this server may use: the machine's, or its cgroup's limit (systemd's
    ``MemoryMax``, a container's) when that is lower."""
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    limit = cgroup_limit()
    return min(physical, limit) if limit else physical


def default_max_kernels(memory: int | None = None) -> int:
    """The cap on live kernels when ``serve.max_kernels`` is 0 (module docstring)."""
    memory = memory_bytes() if memory is None else memory
    fits = int(memory * MEMORY_SHARE) // (KERNEL_MB * 2**20)
    return max(MIN_KERNELS, min(MAX_KERNELS, fits))


def preheated_pages(root: Path, *, pages: tuple[str, ...], main: str, pool_size: int,
                    max_kernels: int, reports: bool = True) -> list[str]:
    """The dashboards (file names) that keep ``pool_size`` kernels computed ahead: the main
    dashboard first, then (``reports``) every other report's page in ``root`` (not the ``pages`` of
    their own, not :data:`COLD_ONLY`), as many as fit in half the cap — the other half stays for
    visitors.  Without ``reports`` only the main dashboard: a small machine (two cores start ten
    kernels for a minute) or a test server that opens many pages once each."""
    if pool_size <= 0:
        return []
    others = sorted(p.name for p in root.glob("*.ipynb")
                    if p.stem not in pages and p.stem not in COLD_ONLY and p.name != main) if reports else []
    ordered = ([main] if (root / main).exists() else []) + others
    return ordered[: max(0, max_kernels // 2) // pool_size]


def kernel_policy(root: Path, *, unconnected_timeout_s: int, disconnected_grace_s: int, max_kernels: int,
                  pool_size: int, preheat: bool, pages: tuple[str, ...], main: str,
                  preheat_reports: bool = True) -> list[str]:
    """Voila configuration lines for the kernels: :class:`atsnb.web.kernels.AtsnbKernelManager`
    with its timeouts and cap (``max_kernels`` 0 = :func:`default_max_kernels`), and one pool per
    preheated page (:func:`preheated_pages`; each named exactly — Voila's deny list matches
    substrings, so ``clients.ipynb`` would also deny ``new_clients.ipynb``)."""
    cap = max_kernels if max_kernels > 0 else default_max_kernels()
    warm = preheated_pages(root, pages=pages, main=main, pool_size=pool_size, max_kernels=cap,
                           reports=preheat_reports) if preheat else []
    lines = [
        "c.VoilaConfiguration.multi_kernel_manager_class = 'atsnb.web.kernels.AtsnbKernelManager'",
        f"c.AtsnbKernelManager.unconnected_timeout = {float(unconnected_timeout_s)!r}",
        f"c.AtsnbKernelManager.disconnected_grace = {float(disconnected_grace_s)!r}",
        f"c.AtsnbKernelManager.max_kernels = {cap}",
        f"c.AtsnbKernelManager.reserved_for_pool = {len(warm) * pool_size}",
    ]
    if warm:
        pools = {"default": {"pool_size": 0}} | {name: {"pool_size": pool_size} for name in warm}
        lines += [
            "c.VoilaConfiguration.preheat_kernel = True",
            f"c.VoilaConfiguration.default_pool_size = {pool_size}",
            f"c.VoilaKernelManager.kernel_pools_config = {pools!r}",
        ]
    return lines
