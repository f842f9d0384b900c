"""What the machine offers, asked of the OS: limits checked before a big allocation."""

from __future__ import annotations

import os
from pathlib import Path


def usable_memory() -> int | None:
    """The memory this process may use, in bytes: the machine's, or less where a limit
    says so (a SLURM allocation: ``SLURM_MEM_PER_NODE``, or ``SLURM_MEM_PER_CPU`` times
    the CPUs; a cgroup's ``memory.max``, as in a container); None where none is known."""
    known = [m for m in (_machine_memory(), _slurm_memory(), _cgroup_memory()) if m]
    return min(known) if known else None


def _machine_memory() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def _slurm_memory() -> int | None:
    """A SLURM task's memory allocation (its variables are in megabytes)."""
    env = os.environ
    try:
        if env.get("SLURM_MEM_PER_NODE"):
            return int(env["SLURM_MEM_PER_NODE"]) * 2**20
        if env.get("SLURM_MEM_PER_CPU"):
            cpus = int(env.get("SLURM_CPUS_ON_NODE") or env.get("SLURM_CPUS_PER_TASK") or 1)
            return int(env["SLURM_MEM_PER_CPU"]) * cpus * 2**20
    except ValueError:
        return None
    return None


def _cgroup_memory() -> int | None:
    """The memory limit of this process's cgroup (v2 ``memory.max``, v1
    ``memory.limit_in_bytes``; in a container its own root), None where it has none."""
    root = Path("/sys/fs/cgroup")
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, group = line.split(":", 2)
        if controllers == "":  # v2
            files = [root / group.lstrip("/") / "memory.max", root / "memory.max"]
        elif "memory" in controllers.split(","):  # v1
            files = [root / "memory" / group.lstrip("/") / "memory.limit_in_bytes",
                     root / "memory" / "memory.limit_in_bytes"]
        else:
            continue
        for file in files:
            try:
                limit = file.read_text().strip()
            except OSError:
                continue
            if limit.isdigit():
                return int(limit)
            break  # "max": no limit there
    return None
