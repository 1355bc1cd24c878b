"""The anonymous Apex analyzer: compile check, System.debug lines, top-level throw."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from providers.emulator.apex import LOG_LEVELS, ApexOutcome, analyze

STARTED = dt.datetime(2024, 5, 1, 12, 30, 15, 123000, tzinfo=dt.UTC)


def run(code: str) -> ApexOutcome:
    return analyze(code, started_at=STARTED)


def events(outcome: ApexOutcome) -> list[str]:
    """The log lines after the header and echo, without their timestamps."""
    lines = [line for line in outcome.debug_log.split("\n") if "|" in line and " (" in line.split("|")[0]]
    return [line.split("|", 1)[1] for line in lines]


def test_plain_code_succeeds_with_an_empty_run() -> None:
    outcome = run("Integer x = 1;\nAccount a = new Account(Name = 'x');")
    assert (outcome.compiled, outcome.success, outcome.line, outcome.column) == (True, True, -1, -1)
    assert outcome.compile_problem is None and outcome.exception_message is None
    assert outcome.exception_stack_trace is None
    assert events(outcome) == [
        "EXECUTION_STARTED",
        "CODE_UNIT_STARTED|[EXTERNAL]|execute_anonymous_apex",
        "CODE_UNIT_FINISHED|execute_anonymous_apex",
        "EXECUTION_FINISHED",
    ]


def test_log_header_echo_and_timestamps() -> None:
    outcome = analyze("System.debug('hello');", api_version="61.0", started_at=STARTED)
    lines = outcome.debug_log.split("\n")
    assert lines[0] == f"61.0 {LOG_LEVELS}"
    assert lines[0].startswith("61.0 APEX_CODE,DEBUG;APEX_PROFILING,INFO;")
    assert lines[1] == "Execute Anonymous: System.debug('hello');"
    assert lines[2] == "12:30:15.123 (250000)|EXECUTION_STARTED"
    assert lines[4] == "12:30:15.123 (750000)|USER_DEBUG|[1]|DEBUG|hello"
    assert outcome.debug_log.endswith("|EXECUTION_FINISHED\n")


def test_debug_statements_with_levels_escapes_and_any_case() -> None:
    code = (
        "system.DEBUG('one');\n"
        "System.debug(LoggingLevel.ERROR, 'two\\'s');\n"
        "System.debug(loggingLevel.Info, 'a\\nb');\n"
        "System.debug(LoggingLevel.FINE, 'too fine');\n"
        "System.debug(someVariable);\n"
        "System.debug('con' + 'cat');\n"
    )
    assert [e for e in events(run(code)) if e.startswith("USER_DEBUG")] == [
        "USER_DEBUG|[1]|DEBUG|one",
        "USER_DEBUG|[2]|ERROR|two's",
        "USER_DEBUG|[3]|INFO|a",
    ]
    assert "|USER_DEBUG|[3]|INFO|a\nb\n" in run(code).debug_log


def test_debug_inside_blocks_is_not_run() -> None:
    code = "if (flag) {\n  System.debug('inside');\n}\nfor (Integer i = 0; i < 3; i++) { System.debug('loop'); }"
    assert not [e for e in events(run(code)) if e.startswith("USER_DEBUG")]


def test_top_level_throw_fails_the_run_and_stops_it() -> None:
    code = (
        "public class BoomException extends Exception {}\n"
        "System.debug('before');\n"
        "  throw new BoomException('it broke');\n"
        "System.debug('after');\n"
    )
    outcome = run(code)
    assert (outcome.compiled, outcome.success, outcome.line, outcome.column) == (True, False, 3, 3)
    assert outcome.exception_message == "BoomException: it broke"
    assert outcome.exception_stack_trace == "AnonymousBlock: line 3, column 3"
    assert events(outcome) == [
        "EXECUTION_STARTED",
        "CODE_UNIT_STARTED|[EXTERNAL]|execute_anonymous_apex",
        "USER_DEBUG|[2]|DEBUG|before",
        "EXCEPTION_THROWN|[3]|BoomException: it broke",
        "FATAL_ERROR|BoomException: it broke",
        "CODE_UNIT_FINISHED|execute_anonymous_apex",
        "EXECUTION_FINISHED",
    ]
    assert "|FATAL_ERROR|BoomException: it broke\n\nAnonymousBlock: line 3, column 3\n" in outcome.debug_log


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("throw new IllegalArgumentException('bad');", "System.IllegalArgumentException: bad"),
        ("throw new dmlexception();", "System.DmlException: Script-thrown exception"),
        ("throw new System.QueryException('q');", "System.QueryException: q"),
        ("throw new Acme.CustomException('x' + y);", "Acme.CustomException: 'x' + y"),
    ],
)
def test_exception_names_and_messages(statement: str, message: str) -> None:
    assert run(statement).exception_message == message


def test_throw_inside_a_block_is_not_run() -> None:
    assert run("if (x) { throw new FooException('no'); }").success


@pytest.mark.parametrize(
    ("code", "line", "column", "problem"),
    [
        ("System.debug('x'));", 1, 18, "Unexpected token ')'."),
        ("if (a) {\n  foo(];\n}", 2, 7, "Unexpected token ']'."),
        ("}", 1, 1, "Unexpected token '}'."),
        ("for (;;) {\n  x();\n", 2, 7, "Missing '}' at '<EOF>'"),
        ("Integer[] a = new Integer[1;", 1, 29, "Missing ']' at '<EOF>'"),
        ("System.debug('open);", 1, 14, "Unterminated string literal"),
        ("String s = 'line\nbreak';", 1, 12, "Unterminated string literal"),
    ],
)
def test_compile_problems(code: str, line: int, column: int, problem: str) -> None:
    outcome = run(code)
    assert (outcome.compiled, outcome.success) == (False, False)
    assert (outcome.line, outcome.column, outcome.compile_problem) == (line, column, problem)
    assert outcome.exception_message is None and outcome.debug_log == ""


def test_brackets_in_strings_and_comments_are_ignored() -> None:
    code = "// ) ] }\n/* { ( [ */ String s = '}{)(\\']';\n System.debug('}');"
    outcome = run(code)
    assert outcome.success
    assert "USER_DEBUG|[3]|DEBUG|}" in events(outcome)


def test_unclosed_block_comment_runs_to_the_end() -> None:
    assert run("System.debug('x'); /* never closed ( {").success


@given(st.lists(st.sampled_from(["(", ")", "[", "]", "{", "}", "x", ";", " ", "\n"]), max_size=30))
def test_balanced_iff_no_compile_problem(parts: list[str]) -> None:
    code = "".join(parts)
    stack: list[str] = []
    balanced = True
    for char in code:
        if char in "([{":
            stack.append({"(": ")", "[": "]", "{": "}"}[char])
        elif char in ")]}" and (not stack or stack.pop() != char):
            balanced = False
            break
    assert run(code).compiled is (balanced and not stack)
