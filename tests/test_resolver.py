"""The sh resolver ``.ai/scripts/session-context-path`` and its Python twin.

The resolver is run as a real subprocess, under every POSIX shell found here,
from the project that ``ai-protocols init`` installed it into. The key
property: for any id an environment can hold (text or raw bytes), the sh
script prints exactly what ``session_context_path`` computes in-process, or
refuses with exit 4 and the same reason when that raises ``InvalidAgentId``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote_to_bytes

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import ai_protocols
from ai_protocols import InvalidAgentId, safe_id, session_context_path
from ai_protocols.errors import AGENT_ID_TODO
from ai_protocols.paths import ID_CHARACTERS, agent_id_from_env, id_part

from conftest import CLI, clean_env

SCRIPT = Path(".ai/scripts/session-context-path")
AS_IS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"
AGENT = "velox.proj.claude.1718400000"
PREFIX = b"Error: AI_AGENT_ID cannot be used: "
#: What every refusal ends with, after its reason: what to do (the same in both).
TODO = f"; {AGENT_ID_TODO}\n".encode()


def _shells() -> list[tuple[str, list[str]]]:
    """Every POSIX shell on this machine, once each; ``/bin/sh`` always first."""
    found = [("/bin/sh", ["/bin/sh"])]
    seen = {os.path.realpath("/bin/sh")}
    for name, extra in (("dash", []), ("bash", []), ("bash --posix", ["--posix"]),
                        ("ksh", []), ("mksh", []), ("yash", []), ("posh", []),
                        ("busybox sh", ["sh"])):
        exe = shutil.which(name.split()[0])
        if exe is None:
            continue
        real = os.path.realpath(exe)
        key = real + " ".join(extra)
        if key in seen:
            continue
        seen.add(key)
        found.append((name, [exe, *extra]))
    return found


SHELLS = _shells()
SHELL_IDS = [name for name, _ in SHELLS]


def env_bytes(agent: str | bytes | None = None, **extra: str) -> dict[bytes, bytes]:
    """``clean_env`` as a bytes mapping, so that an id need not be valid UTF-8."""
    env = {os.fsencode(k): os.fsencode(v) for k, v in clean_env(**extra).items()}
    if agent is not None:
        env[b"AI_AGENT_ID"] = agent if isinstance(agent, bytes) else os.fsencode(agent)
    return env


def sh(root: Path, agent: str | bytes | None = None, *, shell: list[str] | None = None,
       cwd: Path | str | None = None, script: str | Path | None = None,
       env: dict[bytes, bytes] | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run the installed resolver (by default with ``/bin/sh``, by absolute path)."""
    argv = [*(shell or ["/bin/sh"]), str(script or root / SCRIPT)]
    return subprocess.run(argv, cwd=cwd or root, env=env or env_bytes(agent),
                          capture_output=True, timeout=60)


def cli_path(root: Path, agent: str | bytes | None = None, *, cwd: Path | None = None,
             ) -> subprocess.CompletedProcess[bytes]:
    """Run ``ai-protocols path`` (the installed console script)."""
    return subprocess.run([str(CLI), "path"], cwd=cwd or root, env=env_bytes(agent),
                          capture_output=True, timeout=60)


def expected(root: Path, agent: str | bytes | None) -> tuple[bytes, int, str | None]:
    """What the Python twin says: (stdout, exit code, refusal reason)."""
    try:
        path = session_context_path(root, agent)
    except InvalidAgentId as error:
        return b"", 4, error.reason
    return os.fsencode(str(path)) + b"\n", 0, None


def reason_of(stderr: bytes) -> str:
    """The reason after the last ``cannot be used: `` (the CLI's message quotes the id),
    without what to do (the one text every refusal ends with, checked here)."""
    assert stderr.endswith(TODO), stderr
    stderr = stderr[:-len(TODO)] + b"\n"
    text = stderr.decode("utf-8", "surrogateescape")
    _, sep, reason = text.rpartition("cannot be used: ")
    assert sep, f"no 'cannot be used: ' in {text!r}"
    assert text.endswith("\n") and text.count("\n") == 1, text  # one line
    return reason[:-1]


def assert_same_as_python(result: subprocess.CompletedProcess[bytes], root: Path,
                          agent: str | bytes | None) -> None:
    out, code, reason = expected(root, agent)
    assert (result.stdout, result.returncode) == (out, code), (agent, result.stderr)
    if code:
        assert reason is not None
        assert result.stderr.startswith(b"Error: ")
        assert reason_of(result.stderr) == reason
    else:
        assert result.stderr == b""


# --- the default file and the per-agent file ---------------------------------------


def test_unset_id_gives_the_default_file(project: Path) -> None:
    result = sh(project)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{project}/.ai/session-context.org\n".encode()
    assert result.stderr == b""


def test_empty_id_is_the_same_as_unset(project: Path) -> None:
    assert sh(project, "").stdout == f"{project}/.ai/session-context.org\n".encode()
    assert sh(project, "").returncode == 0


def test_an_id_gives_its_own_file(project: Path) -> None:
    result = sh(project, AGENT)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{project}/.ai/session-context.d/{AGENT}.org\n".encode()


def test_printed_path_is_absolute_and_under_the_project(project: Path) -> None:
    for agent in (None, AGENT, "a+b"):
        line = sh(project, agent, cwd="/").stdout.decode()
        assert line.endswith("\n") and line.count("\n") == 1
        printed = Path(line[:-1])
        assert printed.is_absolute()
        assert printed.parent in (project / ".ai", project / ".ai" / "session-context.d")


# --- from anywhere ------------------------------------------------------------------


@pytest.mark.parametrize("agent", [None, AGENT, "-x+y"])
def test_same_answer_from_any_working_directory(project: Path, agent: str | None) -> None:
    deep = project / "src" / "pkg" / "deeper"
    deep.mkdir(parents=True)
    want = sh(project, agent).stdout
    assert want.startswith(str(project).encode() + b"/.ai/")
    scripts = project / ".ai" / "scripts"
    runs = [
        sh(project, agent, cwd=deep),
        sh(project, agent, cwd="/"),
        sh(project, agent, cwd=project, script=".ai/scripts/session-context-path"),
        sh(project, agent, cwd=project, script="./.ai/scripts/session-context-path"),
        sh(project, agent, cwd=deep, script="../../../.ai/scripts/session-context-path"),
        sh(project, agent, cwd=scripts, script="session-context-path"),
        sh(project, agent, cwd=scripts, script="./session-context-path"),
        sh(project, agent, cwd=project / ".ai", script="scripts/../scripts/session-context-path"),
    ]
    for result in runs:
        assert (result.stdout, result.returncode, result.stderr) == (want, 0, b""), result.args


def test_run_as_an_executable_from_anywhere(project: Path) -> None:
    """Executed directly (shebang), by path and found through PATH."""
    script = project / SCRIPT
    assert os.access(script, os.X_OK)
    assert script.read_text().startswith("#!/bin/sh\n")
    want = f"{project}/.ai/session-context.d/{AGENT}.org\n".encode()
    env = env_bytes(AGENT)
    for argv, cwd in (([str(script)], "/"), (["./.ai/scripts/session-context-path"], project)):
        result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, timeout=60)
        assert (result.stdout, result.returncode) == (want, 0), result.stderr
    env[b"PATH"] = os.fsencode(script.parent) + b":" + env[b"PATH"]
    result = subprocess.run(["session-context-path"], cwd="/", env=env, capture_output=True,
                            timeout=60)
    assert (result.stdout, result.returncode) == (want, 0), result.stderr


def test_symlinked_project_path_prints_the_physical_root(project: Path, tmp_path: Path) -> None:
    link = tmp_path / "link-to-proj"
    link.symlink_to(project, target_is_directory=True)
    physical = subprocess.run(["pwd", "-P"], cwd=link, capture_output=True, text=True,
                              check=True).stdout.strip()
    assert physical == str(project)
    want = f"{project}/.ai/session-context.d/{AGENT}.org\n".encode()
    logical = env_bytes(AGENT, PWD=str(link))  # as a shell that kept the logical path
    runs = [
        sh(project, AGENT, cwd="/", script=link / SCRIPT),
        sh(project, AGENT, cwd=link, script=SCRIPT, env=logical),
        sh(project, AGENT, cwd=link / ".ai",
           script="scripts/session-context-path", env=logical),
        sh(project, AGENT, cwd=tmp_path, script=f"{link.name}/{SCRIPT}"),
    ]
    for result in runs:
        assert (result.stdout, result.returncode) == (want, 0), (result.args, result.stderr)
    assert str(link).encode() not in want
    cli = subprocess.run([str(CLI), "path"], cwd=link, env=logical, capture_output=True,
                         timeout=60)
    assert (cli.stdout, cli.returncode) == (want, 0), cli.stderr


def test_repeated_calls_give_the_same_line(project: Path) -> None:
    for agent in (None, AGENT, "é+b", b"\xff\xfe"):
        outputs = {sh(project, agent).stdout for _ in range(5)}
        assert len(outputs) == 1
        assert outputs.pop().endswith(b".org\n")


def test_cli_path_prints_the_identical_line(project: Path) -> None:
    sub = project / "docs"
    sub.mkdir()
    for agent in (None, "", AGENT, "a+b", "a b", "-x", "é", "../../etc/x"):
        script = sh(project, agent)
        for cwd in (project, sub):
            cli = cli_path(project, agent, cwd=cwd)
            assert (cli.stdout, cli.returncode) == (script.stdout, script.returncode), agent
            if script.returncode:
                assert reason_of(cli.stderr) == reason_of(script.stderr)


# --- the safe-id rule, by example ----------------------------------------------------


@pytest.mark.parametrize(("agent", "safe"), [
    (AGENT, AGENT),
    ("codex", "codex"),
    ("A-Z_a.z-0.9", "A-Z_a.z-0.9"),
    ("x.", "x."),
    ("x..", "x.."),
    ("a+b", "a%2Bb"),
    ("-x", "%2Dx"),
    (".x", "%2Ex"),
    ("-", "%2D"),
    (".-", "%2E-"),
    ("x-", "x-"),
    ("é", "%C3%A9"),
    ("%", "%25"),
    ("%25", "%2525"),
    ("a%20b", "a%2520b"),
    ("~", "%7E"),
    ("a*b?[c]", "a%2Ab%3F%5Bc%5D"),
    ("it's\"q\"", "it%27s%22q%22"),
    ("back\\slash", "back%5Cslash"),
    ("$id`id`", "%24id%60id%60"),
    ("\u20ac", "%E2%82%AC"),
    ("\U0001f600", "%F0%9F%98%80"),
    ("..x", "%2E.x"),
    (b"\xff", "%FF"),
    (b"a\x80b", "a%80b"),
    (b"\xc3", "%C3"),
    ("a" * 200, "a" * 200),
    ("%" * 66, "%25" * 66),
    ("ab" + "%" * 66, "ab" + "%25" * 66),
    ("." + "a" * 197, "%2E" + "a" * 197),
])
def test_safe_id_examples(project: Path, agent: str | bytes, safe: str) -> None:
    assert safe_id(agent) == safe
    want = f"{project}/.ai/session-context.d/{safe}.org\n".encode()
    for _, shell in SHELLS:
        result = sh(project, agent, shell=shell)
        assert (result.stdout, result.returncode, result.stderr) == (want, 0, b""), shell


@pytest.mark.parametrize(("agent", "reason"), [
    ("../../etc/x", "it holds a '/'"),
    ("/", "it holds a '/'"),
    ("a/b", "it holds a '/'"),
    ("a\nb", "it holds a control character (byte 0x0A)"),
    ("a\tb", "it holds a control character (byte 0x09)"),
    ("\x1f", "it holds a control character (byte 0x1F)"),
    ("x\x7f", "it holds a control character (byte 0x7F)"),
    ("\x01/", "it holds a control character (byte 0x01)"),
    ("/\x01", "it holds a '/'"),
    ("id\n", "it holds a control character (byte 0x0A)"),
    (".", "it is made only of dots"),
    ("..", "it is made only of dots"),
    ("." * 300, "it is made only of dots"),
    ("a" * 201, "its file-name form is 201 bytes, over 200"),
    ("abc" + "%" * 66, "its file-name form is 201 bytes, over 200"),
    ("." + "a" * 198, "its file-name form is 201 bytes, over 200"),
    ("é" * 34, "its file-name form is 204 bytes, over 200"),
    ("a" * 1000, "its file-name form is 1000 bytes, over 200"),
    (" sp1", "it holds a space; " + ID_CHARACTERS),
    ("sp1 ", "it holds a space; " + ID_CHARACTERS),
    ("a b", "it holds a space; " + ID_CHARACTERS),
    ("a (role x) to boss: fake", "it holds a space; " + ID_CHARACTERS),
    ("a(b", "it holds a '('; " + ID_CHARACTERS),
    ("a)b", "it holds a ')'; " + ID_CHARACTERS),
    ("a:b", "it holds a ':'; " + ID_CHARACTERS),
    ("sp1\u00a0", "it holds white space (U+00A0); " + ID_CHARACTERS),
    ("\u3000sp1", "it holds white space (U+3000); " + ID_CHARACTERS),
    ("a\u0085", "it holds white space (U+0085); " + ID_CHARACTERS),
    ("a\u1680", "it holds white space (U+1680); " + ID_CHARACTERS),
    ("a\u2000b\u200a", "it holds white space (U+2000); " + ID_CHARACTERS),
    ("a\u200a", "it holds white space (U+200A); " + ID_CHARACTERS),
    ("a\u2028", "it holds white space (U+2028); " + ID_CHARACTERS),
    ("a\u2029", "it holds white space (U+2029); " + ID_CHARACTERS),
    ("a\u202f", "it holds white space (U+202F); " + ID_CHARACTERS),
    ("a\u205f", "it holds white space (U+205F); " + ID_CHARACTERS),
    ("a b/", "it holds a space; " + ID_CHARACTERS),
    ("a/b c", "it holds a '/'"),
    ("\u00e9\u00a0\n", "it holds white space (U+00A0); " + ID_CHARACTERS),
])
def test_refused_ids(project: Path, agent: str, reason: str) -> None:
    with pytest.raises(InvalidAgentId) as caught:
        safe_id(agent)
    assert caught.value.reason == reason
    for _, shell in SHELLS:
        result = sh(project, agent, shell=shell)
        assert (result.stdout, result.returncode) == (b"", 4), shell
        assert result.stderr == PREFIX + reason.encode() + TODO, shell
    cli = cli_path(project, agent)
    assert (cli.stdout, cli.returncode) == (b"", 4)
    assert cli.stderr.startswith(b"Error: AI_AGENT_ID ")
    assert reason_of(cli.stderr) == reason


def test_refusal_writes_nothing(project: Path) -> None:
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    sh(project, "../../etc/x")
    cli_path(project, "../../etc/x")
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before


def test_as_is_ids_are_exactly_the_plain_ones() -> None:
    for char in map(chr, range(1, 256)):
        for agent in (f"a{char}", f"{char}a"):
            try:
                safe = safe_id(agent)
            except InvalidAgentId:
                assert ord(char) < 0x20 or char in "\x7f/ ():\x85\xa0", agent
                continue
            plain = char in AS_IS and not (agent[0] == char and char in ".-")
            assert (safe == agent) == plain, agent
            assert ("%" in safe) == (not plain), agent
            assert re.fullmatch(r"(%[0-9A-F]{2}|[A-Za-z0-9._-])+", safe), agent


# --- injectivity ----------------------------------------------------------------------

ids_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(list(AS_IS + AS_IS[-3:] * 8 + "%/ \n\t*?[]'\"\\$`~é€\U0001f600\x7f")),
        st.characters(codec="utf-8", exclude_characters="\x00"),
    ),
    max_size=1000,
)
ids_bytes = st.lists(st.integers(1, 255), max_size=300).map(bytes)
any_id = st.one_of(ids_text, ids_bytes)


def _raw(agent: str | bytes) -> bytes:
    return agent if isinstance(agent, bytes) else os.fsencode(agent)


@settings(max_examples=500, deadline=None)
@given(any_id)
def test_safe_form_decodes_back_to_the_id(agent: str | bytes) -> None:
    """Percent-decoding the file name gives the id's bytes back: no two ids share a file."""
    try:
        safe = safe_id(agent)
    except InvalidAgentId:
        return
    assert re.fullmatch(r"(%[0-9A-F]{2}|[A-Za-z0-9._-])+", safe)
    assert len(safe) <= 200
    assert safe not in (".", "..") and not safe.startswith(("-", "."))
    assert unquote_to_bytes(safe) == _raw(agent)


@settings(max_examples=500, deadline=None)
@given(any_id, any_id)
@example("a+b", "a%2Bb")
@example("-x", "%2Dx")
@example(".x", "%2Ex")
@example("é", b"\xc3\xa9")
def test_different_ids_never_share_a_file(first: str | bytes, second: str | bytes) -> None:
    try:
        a, b = safe_id(first), safe_id(second)
    except InvalidAgentId:
        return
    assert (a == b) == (_raw(first) == _raw(second))


def test_ids_that_look_encoded_do_not_collide(project: Path) -> None:
    ids = ["a+b", "a%2Bb", "a%252Bb", "-x", "%2Dx", ".x", "%2Ex", "é", "%C3%A9", "%c3%a9"]
    lines = [sh(project, agent).stdout for agent in ids]
    assert all(lines) and len(set(lines)) == len(ids)


# --- the key property: sh == Python, under every shell ------------------------------


@pytest.mark.parametrize("shell", [s for _, s in SHELLS], ids=SHELL_IDS)
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(agent=any_id)
@example(agent="")
@example(agent=AGENT)
@example(agent="a" * 200)
@example(agent="a" * 201)
@example(agent="-" + "a" * 197)
@example(agent="." * 50)
@example(agent="../../etc/x")
@example(agent="a\nb")
@example(agent=b"\xff\xfe/")
@example(agent=b"..\xff")
def test_sh_resolver_matches_python(project: Path, shell: list[str], agent: str | bytes) -> None:
    result = sh(project, agent, shell=shell)
    assert_same_as_python(result, project, agent)
    if result.returncode:
        assert result.stderr.startswith(PREFIX)


def test_bin_sh_is_always_among_the_shells() -> None:
    assert SHELLS[0] == ("/bin/sh", ["/bin/sh"])


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(agent=any_id)
@example(agent=b"\xff/")
@example(agent="x cannot be used: y/")
def test_cli_path_matches_the_sh_resolver(project: Path, agent: str | bytes) -> None:
    script = sh(project, agent)
    cli = cli_path(project, agent)
    assert (cli.stdout, cli.returncode) == (script.stdout, script.returncode), cli.stderr
    if script.returncode:
        assert reason_of(cli.stderr) == reason_of(script.stderr)
    else:
        assert cli.stderr == b""


# --- portable sh only ----------------------------------------------------------------


@pytest.mark.parametrize("locale", ["C", "POSIX", "C.UTF-8"])
@pytest.mark.parametrize("shell", [["dash"], ["bash", "--posix"], ["bash"]],
                         ids=["dash", "bash --posix", "bash"])
def test_runs_under_strict_posix_shells(project: Path, shell: list[str], locale: str) -> None:
    if shutil.which(shell[0]) is None:
        pytest.skip(f"{shell[0]} is not installed")
    for agent in (None, AGENT, "a+b", "a b", "-x", ".x", "é", "%", b"\xff", "../../etc/x",
                  "a" * 201, "a\u3000"):
        result = sh(project, agent, shell=shell, env=env_bytes(agent, LC_ALL=locale))
        assert_same_as_python(result, project, agent)


def _code_lines(text: str) -> list[str]:
    """The script without comments (whole-line ones; the script has no others)."""
    return [line for line in text.splitlines() if not line.lstrip().startswith("#")]


BASHISMS = [
    (r"\[\[", "[[ ]]"),
    (r"(^|[\s;&|(])local\s", "local"),
    (r"\$'", "$'...'"),
    (r"(^|[\s;])function\s", "function"),
    (r"\[\s[^]]*\s==\s", "== in [ ]"),
    (r"(^|[\s;&|])source\s", "source"),
    (r"(^|[\s;&|])(declare|typeset|let|shopt|pushd|popd)\s", "bash builtin"),
    (r"<<<|&>|\|&", "bash redirection"),
    (r"\$\{[A-Za-z_][A-Za-z0-9_]*(//?|:[0-9-]|\^|,)", "bash expansion"),
    (r"\$(RANDOM|BASH\w*|PIPESTATUS|SECONDS|FUNCNAME|HOSTNAME)\b", "bash variable"),
    (r"(^|[\s;])\(\(", "(( ))"),
    (r"\becho\s+-[neE]", "echo -n/-e"),
]


def test_script_has_no_bashisms(project: Path) -> None:
    text = (project / SCRIPT).read_text()
    assert text.startswith("#!/bin/sh\n")
    code = _code_lines(text)
    assert len(code) > 20
    for line in code:
        for pattern, what in BASHISMS:
            assert not re.search(pattern, line), f"{what}: {line!r}"


def test_bashism_check_would_catch_bashisms() -> None:
    """The patterns above are live: each catches the construct it names."""
    samples = ['if [[ -z "$x" ]]; then', "  local x=1", "x=$'\\n'", "function f {",
               'if [ "$a" == "$b" ]; then', "source ./lib.sh", "echo -n hi", "x=${y//a/b}",
               "(( n++ ))", "cat <<< $x"]
    for sample in samples:
        assert any(re.search(pattern, sample) for pattern, _ in BASHISMS), sample


def test_installed_script_is_the_shipped_one(project: Path) -> None:
    from importlib import resources

    shipped = (resources.files("ai_protocols") / "data" / "session-context-path").read_text()
    installed = (project / SCRIPT).read_text()
    marker = re.compile(r"sha256=[0-9a-f]{64}")
    assert marker.search(installed)
    assert marker.sub("sha256=@SHA256@", installed) == shipped


# --- the id an agent program's own session gives, when AI_AGENT_ID is unset ---------------

session_ids = st.one_of(
    st.uuids().map(str),
    st.text(st.sampled_from("ab9_-./ %é\n\t-"), max_size=80),
    st.binary(max_size=40).filter(lambda b: b"\0" not in b),
)
folder_names = st.text(st.sampled_from("ab9_-. %é日"), min_size=1, max_size=60).filter(
    lambda n: n not in (".", ".."))


def derived_project(base: Path, name: str) -> Path:
    """A project folder named ``name`` under ``base``, with the shipped resolver in it."""
    root = base / name
    (root / ".ai" / "scripts").mkdir(parents=True, exist_ok=True)
    script = root / SCRIPT
    if not script.exists():
        shutil.copy(Path(ai_protocols.__file__).parent / "data" / "session-context-path", script)
    return root.resolve()


@pytest.mark.parametrize("shell", [s for _, s in SHELLS], ids=SHELL_IDS)
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(session=session_ids, name=folder_names,
       variable=st.sampled_from(["CLAUDE_CODE_SESSION_ID", "CODEX_THREAD_ID"]),
       both=st.booleans())
@example(session="7c0e2f43-1d2b-4c58-9a4e-0a1b2c3d4e5f", name="proj",
         variable="CLAUDE_CODE_SESSION_ID", both=False)
@example(session="--a--b--", name="-x.y-", variable="CODEX_THREAD_ID", both=False)
@example(session="a" * 80, name="n" * 60, variable="CODEX_THREAD_ID", both=True)
@example(session="/", name="é", variable="CLAUDE_CODE_SESSION_ID", both=False)
def test_sh_resolver_derives_the_id_python_derives(tmp_path: Path, shell: list[str],
                                                  session: str | bytes, name: str,
                                                  variable: str, both: bool) -> None:
    """Without AI_AGENT_ID, both resolvers derive ``host.project.runtime.<session id>``
    from the agent's own session variable (Claude Code's first when both are set)."""
    root = derived_project(tmp_path, name)
    env = env_bytes()
    env[variable.encode()] = session if isinstance(session, bytes) else os.fsencode(session)
    if both:
        env[b"CODEX_THREAD_ID" if variable.startswith("CLAUDE") else
            b"CLAUDE_CODE_SESSION_ID"] = b"other-0123"
    result = sh(root, shell=shell, env=env)
    text_env = {os.fsdecode(k): os.fsdecode(v) for k, v in env.items()}
    agent = agent_id_from_env(text_env, root=root)
    assert (result.stdout, result.returncode) == expected(root, agent)[:2], result.stderr
    if agent is not None:
        runtime = "claude" if env.get(b"CLAUDE_CODE_SESSION_ID") else "codex"
        parts = agent.split(".")
        assert len(parts) == 4 and parts[2] == runtime and all(parts)
        assert not any("--" in part for part in parts)
        assert safe_id(agent) == agent  # an id part is always safe as it is
    cli = subprocess.run([str(CLI), "path"], cwd=root, env=env, capture_output=True,
                         timeout=60)
    assert (cli.stdout, cli.returncode) == (result.stdout, result.returncode), cli.stderr


def test_an_explicit_id_wins_over_the_agents_session(project: Path) -> None:
    env = env_bytes("mine.1718400000", CLAUDE_CODE_SESSION_ID="abc", CODEX_THREAD_ID="def")
    assert sh(project, env=env).stdout.endswith(b"/session-context.d/mine.1718400000.org\n")


def test_an_agent_session_gets_a_file_of_its_own(project: Path) -> None:
    """Two agents started by hand in one folder: two files; a resumed session (same id):
    the same file; no agent variable: the one-agent file."""
    first = sh(project, env=env_bytes(CLAUDE_CODE_SESSION_ID="s-1")).stdout
    second = sh(project, env=env_bytes(CODEX_THREAD_ID="s-2")).stdout
    again = sh(project, env=env_bytes(CLAUDE_CODE_SESSION_ID="s-1")).stdout
    plain = sh(project).stdout
    assert len({first, second, plain}) == 3 and first == again
    host = os.uname().nodename.split(".")[0]
    assert first.endswith(f"/{id_part(host, 'host')}.{id_part(project.name, 'project')}"
                          f".claude.s-1.org\n".encode())


# --- project folders with any name the file system allows -----------------------------

#: Folder names a file system allows: any bytes but "/" and NUL, not "." or "..". The
#: characters shells and command substitution treat specially come often: newlines
#: (at the end above all), spaces and tabs, quotes, globs, "%" and backslashes.
any_folder_name = st.one_of(
    st.text(st.sampled_from("ab9_-.%é日 \t\n\\'\"*?[]$`~#!"), min_size=1, max_size=40),
    st.binary(min_size=1, max_size=40).map(os.fsdecode),
).filter(lambda n: "/" not in n and "\0" not in n and n not in (".", ".."))


@pytest.mark.parametrize("shell", [s for _, s in SHELLS], ids=SHELL_IDS)
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(name=any_folder_name, agent=st.sampled_from([None, AGENT, "a+b", "derived"]))
@example(name="proj\n", agent=None)
@example(name="proj\n\n\n", agent=AGENT)
@example(name="proj\n", agent="derived")
@example(name="\n", agent=None)
@example(name="trailing spaces  ", agent=None)
@example(name=" \t leading", agent="a+b")
@example(name="-n", agent=None)
@example(name="back\\slash\\", agent=None)
@example(name=os.fsdecode(b"latin-1 \xe9t\xe9"), agent="derived")
def test_both_resolvers_agree_for_any_project_folder(tmp_path: Path, shell: list[str],
                                                    name: str, agent: str | None) -> None:
    """Whatever the project folder is called, the sh resolver and ``ai-protocols path``
    print the same bytes, and both name a file inside that very folder. (Command
    substitution strips trailing newlines: a folder whose name ends in one once made
    the sh resolver print another path.)"""
    root = derived_project(tmp_path, name)
    env = env_bytes(None if agent == "derived" else agent)
    if agent == "derived":
        env[b"CODEX_THREAD_ID"] = b"thread-1"
    result = sh(root, shell=shell, env=env)
    cli = subprocess.run([str(CLI), "path"], cwd=root, env=env, capture_output=True,
                         timeout=60)
    assert (result.stdout, result.returncode) == (cli.stdout, cli.returncode), \
        (name, result.stderr, cli.stderr)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(os.fsencode(root) + b"/.ai/"), name
    assert result.stdout.endswith(b".org\n")
