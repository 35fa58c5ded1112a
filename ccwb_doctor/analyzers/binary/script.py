"""Scripts: the #! line (interpreter, arguments, `env` indirection) and Windows .cmd/.bat/.ps1 files."""

from __future__ import annotations

from ccwb_doctor.analyzers.binary.types import BinaryInfo, Corrupt, Reader

BOM = b"\xef\xbb\xbf"
KERNEL_SHEBANG_MAX = 255  # Linux BINPRM_BUF_SIZE (256) minus the leading bytes it keeps
WINDOWS_SCRIPTS = {
    ".cmd": ("batch", "cmd.exe"),
    ".bat": ("batch", "cmd.exe"),
    ".ps1": ("powershell", "powershell.exe"),
}


def env_program(interpreter: str, args: tuple[str, ...]) -> str | None:
    """For `#!/usr/bin/env [-S] [VAR=x] prog`, the program env will look up on PATH."""
    if interpreter.rsplit("/", 1)[-1] != "env":
        return None
    words: list[str] = []
    for a in args:
        words += a.split()
    for w in words:
        if w.startswith("-") or "=" in w:
            continue
        return w
    return None


def parse_shebang(rd: Reader) -> BinaryInfo:
    problems: list[str] = []
    start = 0
    if rd.head.startswith(BOM):
        problems.append(
            "the file starts with a UTF-8 byte-order mark, so the kernel does not see the #! line"
        )
        start = len(BOM)
    nl = rd.head.find(b"\n", start)
    truncated_head = nl < 0 and len(rd.head) < rd.size
    if truncated_head:
        raise Corrupt(start, "the #! line does not end within the header read budget")
    line = rd.head[start + 2 : nl if nl >= 0 else len(rd.head)]
    if line.endswith(b"\r"):
        problems.append(
            "the #! line ends in CR (Windows line endings): the kernel looks for an interpreter named"
            " with a trailing carriage return; convert with `dos2unix` or `sed -i 's/\\r$//'`"
        )
        line = line[:-1]
    if b"\0" in line:
        raise Corrupt(start + 2 + line.index(b"\0"), "NUL byte in the #! line")
    text = line.decode("utf-8", "replace").strip(" \t")
    if not text:
        raise Corrupt(start + 2, "the #! line names no interpreter")
    if len(line) + 2 > KERNEL_SHEBANG_MAX:
        problems.append(
            f"the #! line is {len(line) + 2} bytes; Linux reads only the first {KERNEL_SHEBANG_MAX}"
        )
    interp, _, rest = text.partition(" ")
    if "\t" in interp:
        interp, _, more = interp.partition("\t")
        rest = (more + " " + rest).strip()
    args = (rest.strip(),) if rest.strip() else ()  # Linux passes everything after it as ONE argument
    notes: list[str] = []
    if not interp.startswith("/"):
        problems.append(
            f"the interpreter {interp!r} is a relative path, resolved against the working directory"
        )
    prog = env_program(interp, args)
    if prog:
        notes.append(f"`env` finds {prog!r} on PATH at run time")
    return BinaryInfo(
        format="script",
        interpreter=interp,
        interpreter_args=args,
        problems=tuple(problems),
        notes=tuple(notes),
    )


def windows_script(name: str) -> BinaryInfo | None:
    lower = name.lower()
    for ext, (kind, interp) in WINDOWS_SCRIPTS.items():
        if lower.endswith(ext):
            return BinaryInfo(format=kind, os="windows", interpreter=interp)
    return None


def looks_like_text(data: bytes) -> bool:
    if not data or b"\0" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(data) - 3  # a multi-byte character cut by the read boundary
    return True
