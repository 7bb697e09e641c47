"""Atomic writes, safe paths, hashing and provenance sidecars.

Every file the package writes goes to a temporary file in the same folder first, is flushed to
disk (``fsync``) and is then renamed over the target, and the folder is flushed too; so a failed
step never leaves a half-written file, never destroys the previous good one, and a power cut
after a step said "done" loses nothing.

A folder that is published whole by one rename (a report's staging folder) is written without
those flushes (``durable=False``) and flushed once, all its files at the same time, just before
the rename (:func:`fsync_tree`): the same guarantee for a fraction of the waiting.

Every path built from user input (a file's stem, a template name, a dataset name) goes through
:func:`safe_child`, which refuses anything that would leave its folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:  # pandas is imported by the callers that write tables; keep this module light
    import pandas as pd

import errno as _errno

from .exceptions import CityIndicatorsError, ConfigError, StorageError

__all__ = [
    "UnsafePathError",
    "os_error_reason",
    "storage_error",
    "safe_child",
    "fsync_dir",
    "fsync_file",
    "fsync_tree",
    "exclusive_lock",
    "fault_point",
    "NOT_A_REGULAR_FILE",
    "refuse_special_file",
    "read_text_strict",
    "read_yaml",
    "read_yaml_with_nodes",
    "unique_key_loader",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_copy_file",
    "atomic_write_text",
    "atomic_write_json",
    "atomic_write_parquet",
    "sha256_file",
    "sha256_bytes",
    "sidecar_path",
    "write_sidecar",
    "read_sidecar",
]


#: Environment variable naming a step at which the process kills itself (``SIGKILL``), so that
#: tests can prove a crash at that step loses nothing; ``step`` or ``step:N`` (the N-th time).
FAULT_ENV = "CITYINDICATORS_FAULT_AT"
_FAULT_COUNTS: dict[str, int] = {}


class UnsafePathError(CityIndicatorsError):
    """A name taken from user input would make a path outside its folder."""


_REASONS = {
    _errno.ENOSPC: "no space left on the device",
    _errno.EDQUOT: "disk quota exceeded",
    _errno.EROFS: "the file system is read-only",
    _errno.EACCES: "permission denied",
    _errno.EPERM: "operation not permitted",
    _errno.EISDIR: "it is a folder, where a file was expected",
    _errno.ENOTDIR: "a part of the path is a file, where a folder was expected",
    _errno.ENOENT: "no such file or folder",
    _errno.EEXIST: "it already exists",
    _errno.ENAMETOOLONG: "the name is too long",
    _errno.EIO: "input/output error (a failing disk?)",
}


def os_error_reason(exc: OSError) -> str:
    """A plain description of an :class:`OSError` (pyarrow's carry the errno only in the text)."""
    code = exc.errno
    if code is None:
        import re

        found = re.search(r"errno (\d+)", str(exc), re.I)
        code = int(found.group(1)) if found else None
    return _REASONS.get(code) or (exc.strerror or str(exc) or type(exc).__name__).strip()


def storage_error(exc: OSError, path: str | os.PathLike, doing: str) -> StorageError:
    """A :class:`StorageError` naming ``path``, what was being done and why it failed.

    A file standing where a folder of ``path`` should be (``mkdir`` says "exists", ``open``
    says "not a directory") is named itself.
    """
    if isinstance(exc, (FileExistsError, NotADirectoryError)):
        blocking = file_in_the_way(path)
        if blocking is not None:
            return StorageError(f"{blocking}: cannot {doing}: it is a file, where a folder was expected")
    return StorageError(f"{path}: cannot {doing}: {os_error_reason(exc)}")


def file_in_the_way(folder: str | os.PathLike) -> Path | None:
    """The file that stands where ``folder`` or one of its parents should be a folder (the nearest
    existing one of them, when it is not a folder), else ``None``."""
    for place in [Path(folder), *Path(folder).parents]:
        if place.exists():
            return None if place.is_dir() else place
    return None


def safe_child(folder: str | os.PathLike, name: str, *, what: str = "name") -> Path:
    """``folder / name``, where ``name`` must be one plain path component inside ``folder``.

    Refused (:class:`UnsafePathError`, naming ``what`` and the value): an empty name, ``.``,
    ``..`` or any name made only of dots, a name with a path separator or a NUL byte, an
    absolute path, and (belt and braces) anything whose resolved path is not inside
    ``folder``.
    """
    text = str(name)
    why = None
    if not text.strip():
        why = "it is empty"
    elif set(text) <= {"."}:
        why = "it is made only of dots"
    elif "/" in text or "\\" in text or os.sep in text or (os.altsep and os.altsep in text):
        why = "it contains a path separator"
    elif "\x00" in text:
        why = "it contains a NUL byte"
    elif os.path.isabs(text):
        why = "it is an absolute path"
    if why is None:
        base = Path(folder).resolve()
        candidate = (base / text).resolve()
        if candidate.parent != base:
            why = f"it would point outside {base}"
    if why:
        raise UnsafePathError(f"{what} {text!r} cannot be used as a file or folder name: {why}")
    return Path(folder) / text


def fault_point(step: str) -> None:
    """Kill this process with ``SIGKILL`` at ``step`` when ``$CITYINDICATORS_FAULT_AT`` names it.

    A test hook for crash safety (the reliability suite runs a command in a subprocess with the
    variable set and checks that nothing stored changed); it costs one dictionary look-up
    otherwise. ``step:N`` kills at the N-th time the step is reached.
    """
    wanted = os.environ.get(FAULT_ENV)
    if not wanted:
        return
    name, _, nth = wanted.rpartition(":")
    if not nth.isdigit():
        name, nth = wanted, "1"
    if name != step:
        return
    _FAULT_COUNTS[step] = _FAULT_COUNTS.get(step, 0) + 1
    if _FAULT_COUNTS[step] >= int(nth):
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


@contextmanager
def exclusive_lock(lock_file: str | os.PathLike, what: str, wait: float = 10.0) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_file`` (created if needed) for the ``with`` block.

    One writer at a time per data directory: while a command holds the lock, no other one is
    writing, so leftovers of a killed writer (temporary files, unfinished build folders) are
    provably stale and may be removed. The kernel releases the lock when the process dies,
    even by ``kill -9``. Waits up to ``wait`` seconds, then raises :class:`CityIndicatorsError`.
    """
    import fcntl
    import time

    lock_file = Path(lock_file)
    try:
        lock_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise storage_error(exc, lock_file, f"write to the data directory ({what})") from None
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise CityIndicatorsError(
                        f"{lock_file}: another cityindicators command is writing to {lock_file.parent} ({what} "
                        f"waited {wait:.0f} s); try again when it has finished"
                    ) from None
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def fsync_dir(folder: str | os.PathLike) -> None:
    """Flush a folder's entries (a rename or a new file in it) to disk."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # a platform or file system that cannot open folders: nothing to flush
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def fsync_file(path: str | os.PathLike) -> None:
    """Flush a file's content to disk."""
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def fsync_tree(folder: str | os.PathLike, threads: int = 16) -> int:
    """Flush every file and folder under ``folder`` (``folder`` included) to disk; returns how
    many were flushed.

    The flushes run in ``threads`` threads at once: the file system then writes them in a few
    journal commits, where one file after the other waits for a commit each (some 60 files of a
    report: about 0.03 s instead of 0.3 s on ext4). The folder itself is flushed last.
    """
    from concurrent.futures import ThreadPoolExecutor

    files: list[str] = []
    folders: list[str] = []
    for here, dirs, names in os.walk(folder):
        files += [os.path.join(here, n) for n in names]
        folders += [os.path.join(here, d) for d in dirs]
    if files or folders:
        with ThreadPoolExecutor(max_workers=max(1, min(threads, len(files) + len(folders)))) as pool:
            # list(): an error in any flush is raised here
            list(pool.map(fsync_file, files))
            list(pool.map(fsync_dir, folders))
    fsync_dir(folder)
    return len(files) + len(folders) + 1


#: What an error says of a path that is a device, a pipe or a socket.
NOT_A_REGULAR_FILE = "not a regular file (a device, a pipe or a socket)"


def refuse_special_file(path: str | os.PathLike, error: type[Exception] = StorageError, *,
                        reading: str = "", hint: str = "") -> None:
    """Stop when ``path`` (a link followed) is neither a regular file nor a folder: a device, a
    pipe or a socket. A missing path, or a name no path can have, is left to the caller.

    Asked with ``stat``, which opens nothing: opening a pipe waits for a writer, and a link to
    ``/dev/zero`` would be read until the memory is full.

    Raises
    ------
    error
        One line, ``"<path>: [cannot read the <reading>: ]not a regular file (a device, a pipe or
        a socket)[; <hint>]"``.
    """
    import stat

    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):  # no such path, or a name with a NUL byte
        return
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        doing = f"cannot read the {reading}: " if reading else ""
        raise error(f"{path}: {doing}{NOT_A_REGULAR_FILE}" + (f"; {hint}" if hint else ""))


#: Largest configuration file (scenario, groups) read: some thousand times the largest real one.
TEXT_MAX_BYTES = 10 * 1024 * 1024


def read_text_strict(path: str | os.PathLike, what: str = "file", max_bytes: int = TEXT_MAX_BYTES) -> str:
    """The text of a UTF-8 file (a BOM is allowed); any other encoding is a clear error.

    Raises :class:`ConfigError` naming the path, the line and the byte, and saying to save the
    file as UTF-8 (a file saved as cp1257 or UTF-16 would otherwise fail deep inside a parser,
    or be misread), and :class:`StorageError` when the file cannot be read (a folder, no
    permission ...), or is no regular file (a link to ``/dev/zero``, a pipe), or is larger than
    ``max_bytes``.
    """
    import stat

    path = Path(path)
    refuse_special_file(path, reading=what)
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(_errno.EISDIR, os.strerror(_errno.EISDIR), str(path))
        if info.st_size > max_bytes:
            raise ConfigError(f"{path}: the {what} is {info.st_size:,} bytes, more than the {max_bytes:,} "
                              "such a file may have")
        data = path.read_bytes()
    except OSError as exc:
        raise storage_error(exc, path, f"read the {what}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}: the {what} is not UTF-8 text (invalid byte 0x{data[exc.start]:02x} on line {line}); "
            "save it as UTF-8"
        ) from None


_UNIQUE_KEY_LOADERS: dict[type, type] = {}


def unique_key_loader(base: type | None = None) -> type:
    """A safe YAML loader class (``base``: libyaml's ``CSafeLoader`` when PyYAML has it) that
    refuses a mapping naming a key twice.

    YAML itself keeps the last of two equal keys without a word, so a file that says
    ``migration:`` (or a plan criterion's ``target_year``) twice would lose the first silently.
    The error is a ``ConstructorError`` whose ``problem_mark`` is the second key's place.
    """
    import yaml

    base = base or getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    if base not in _UNIQUE_KEY_LOADERS:

        def construct_mapping(self, node, deep=False):
            if isinstance(node, yaml.MappingNode):
                first: dict[Any, Any] = {}
                for key_node, _ in node.value:
                    if key_node.tag == "tag:yaml.org,2002:merge":  # '<<: *anchor' may be overridden
                        continue
                    key = self.construct_object(key_node, deep=deep)
                    try:
                        earlier = first.setdefault(key, key_node.start_mark)
                    except TypeError:  # an unhashable key: the base constructor says so
                        continue
                    if earlier is not key_node.start_mark:
                        raise yaml.constructor.ConstructorError(
                            None, None, f"key {key!r} appears twice (first on line {earlier.line + 1})",
                            key_node.start_mark)
            return base.construct_mapping(self, node, deep=deep)

        _UNIQUE_KEY_LOADERS[base] = type(f"UniqueKey{base.__name__}", (base,), {"construct_mapping": construct_mapping})
    return _UNIQUE_KEY_LOADERS[base]


#: Most values a YAML file of ours may hold once its aliases are expanded: far more than any
#: scenario, groups or plan file needs, far fewer than a "billion laughs" file's 9**9.
YAML_MAX_VALUES = 100_000


def yaml_alias_problem(node: Any, limit: int = YAML_MAX_VALUES) -> tuple[str, Any] | None:
    """Why the composed YAML node tree ``node`` cannot be read safely, with the node to blame, or
    ``None`` when it can.

    Anchors and aliases (``&a``, ``*a``) let a few lines stand for billions of values: PyYAML
    builds them as shared objects cheaply, but the first step that walks them (a name looked up
    for every member, a hash of the content) runs for minutes and fills the memory. Counted here
    on the node tree, each node once, before anything is built from it; an alias that refers to a
    node containing itself is refused too.
    """
    import yaml

    sizes: dict[int, int] = {}
    stack: list[tuple[Any, bool]] = [(node, False)]
    open_nodes: set[int] = set()
    while stack:
        current, children_done = stack.pop()
        key = id(current)
        if children_done:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in _children(current, yaml))
            if sizes[key] > limit:
                return f"its anchors and aliases expand to more than {limit:,} values", current
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            return "an alias refers to a value that contains it", current
        open_nodes.add(key)
        stack.append((current, True))
        stack.extend((c, False) for c in _children(current, yaml) if id(c) not in sizes)
    return None


def _children(node: Any, yaml: Any) -> list[Any]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def read_yaml(path: str | os.PathLike, what: str = "YAML file") -> Any:
    """The parsed content of a UTF-8 YAML file (safe loader: no Python objects from tags).

    Every failure is one :class:`ConfigError`/:class:`StorageError` naming the path: not UTF-8,
    not readable, not valid YAML (with the line and column the parser gives), a key written
    twice in one mapping (:func:`unique_key_loader`).
    """
    return read_yaml_with_nodes(path, what)[0]


def read_yaml_with_nodes(path: str | os.PathLike, what: str = "YAML file") -> tuple[Any, Any]:
    """:func:`read_yaml`'s content and the composed node tree it was built from (``None`` for an
    empty file): each node's ``start_mark.line`` (from 0) is where a value stands, for errors
    that name the line of a key the parser accepted."""
    import yaml

    text = read_text_strict(path, what)
    try:
        # libyaml's parser (the same safe constructor) when PyYAML has it: some ten times faster, and
        # a batch checks six scenario files for every report it plans
        loader = unique_key_loader()(text)
        try:
            node = loader.get_single_node()  # what yaml.load does, keeping the node
            problem = yaml_alias_problem(node) if node is not None else None
            if problem is not None:
                raise ConfigError(f"{path}: line {problem[1].start_mark.line + 1}: the {what} cannot be read: "
                                  f"{problem[0]}; write the values out")
            return (loader.construct_document(node) if node is not None else None), node
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}: the {what} is not valid YAML{where}: {problem}") from None


@contextmanager
def atomic_path(target: str | os.PathLike, suffix: str = "", durable: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success rename it over ``target``.

    On an exception the temporary file is removed and ``target`` is left as it was. The file is
    flushed to disk before the rename and the folder after it; with ``durable=False`` neither
    (a file in a folder that :func:`fsync_tree` flushes whole before it is published).
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix or ".tmp", dir=target.parent)
    except OSError as exc:
        raise storage_error(exc, target, "write") from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp creates the file private (0600); give it the usual mode under the umask
        os.chmod(tmp_path, 0o666 & ~_umask())
        if durable:
            fsync_file(tmp_path)
        if target.is_dir() and not target.is_symlink():
            raise IsADirectoryError(_errno.EISDIR, "Is a directory", str(target))
        os.replace(tmp_path, target)
        if durable:
            fsync_dir(target.parent)
    except OSError as exc:
        tmp_path.unlink(missing_ok=True)
        raise storage_error(exc, target, "write") from None
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(target: str | os.PathLike, data: bytes, durable: bool = True) -> Path:
    with atomic_path(target, durable=durable) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def atomic_copy_file(source: str | os.PathLike, target: str | os.PathLike, chunk: int = 1 << 20) -> Path:
    """Copy ``source`` to ``target`` atomically, in a stream (memory does not grow with the file)."""
    with atomic_path(target) as tmp, open(source, "rb") as src, open(tmp, "wb") as dst:
        for block in iter(lambda: src.read(chunk), b""):
            dst.write(block)
    return Path(target)


def atomic_write_text(target: str | os.PathLike, text: str, encoding: str = "utf-8", durable: bool = True) -> Path:
    return atomic_write_bytes(target, text.encode(encoding), durable=durable)


def atomic_write_json(target: str | os.PathLike, obj: Any, durable: bool = True) -> Path:
    text = json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=False, default=str)
    return atomic_write_text(target, text + "\n", durable=durable)


def atomic_write_parquet(target: str | os.PathLike, frame: "pd.DataFrame") -> Path:
    with atomic_path(target, suffix=".parquet") as tmp:
        frame.to_parquet(tmp, index=False)
    return Path(target)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def sidecar_path(path: str | os.PathLike) -> Path:
    """The provenance sidecar of a data file: ``<name>.meta.json`` beside it."""
    path = Path(path)
    return path.with_name(path.name + ".meta.json")


def write_sidecar(path: str | os.PathLike, meta: dict[str, Any]) -> Path:
    return atomic_write_json(sidecar_path(path), meta)


def read_sidecar(path: str | os.PathLike) -> dict[str, Any]:
    side = sidecar_path(path)
    if not side.exists():
        return {}
    return json.loads(side.read_text(encoding="utf-8"))
