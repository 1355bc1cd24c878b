"""Anonymous Apex as the emulator runs it: checked and scanned, never interpreted.

`analyze(code)` returns the `ApexOutcome` that executeAnonymous reports. Exactly this happens:

1. **Compile check.** The code is tokenized: string literals are '...' with backslash escapes and end
   on their own line; `//` and `/* */` comments are skipped (an unclosed `/*` runs to the end); `"`
   is an ordinary character. Compilation fails (compiled=false, success=false, `line`/`column` of the
   offending character, empty debug log) on the first of:
   - a string literal not closed before the end of its line: "Unterminated string literal";
   - a `)`, `]` or `}` that closes nothing or closes a different bracket: "Unexpected token '}'.";
   - a `(`, `[` or `{` still open at the end of the code: "Missing '}' at '<EOF>'" (naming the
     bracket that would close the innermost open one; the position is just after the last non-blank
     character).
   Nothing else is checked: unknown types, variables or methods compile, except what an org's
   ``Effects`` checks (``apex_jobs``: the class a ``System.schedule`` statement instantiates).
2. **Run.** Only top-level statements (not inside any braces) ending with `;` are considered, in order:
   - `System.debug('literal');` or `System.debug(LoggingLevel.X, 'literal');` (names in any case)
     adds `HH:MM:SS.mmm (N)|USER_DEBUG|[line]|X|literal` to the log (X is DEBUG without a level).
     Levels FINE, FINER, FINEST and NONE are below the log's APEX_CODE,DEBUG and add nothing. Any
     other argument (a variable, a concatenation) adds nothing.
   - `throw new T(...);` stops the run: success=false, `line`/`column` of `throw`,
     exception_message "T: message", exception_stack_trace "AnonymousBlock: line L, column C".
     T is kept as written, except that an unqualified System exception (DmlException,
     IllegalArgumentException, ...) is shown as "System.T", as Salesforce names it. The message is the
     string literal argument, "Script-thrown exception" without arguments, otherwise the argument's
     source text. The log gets EXCEPTION_THROWN and FATAL_ERROR lines; later statements do not run.
   - With an org's ``Effects`` (``analyze(code, effects=...)``), each statement is offered to it first:
     it may change the org (``System.schedule``, ``System.abortJob``) or throw; the caller keeps or
     rolls back those changes with the outcome.
   - Every other statement succeeds without effect (no DML, no queries, no assertions).
3. **Log.** Header `<api version> APEX_CODE,DEBUG;APEX_PROFILING,INFO;...`, one
   `Execute Anonymous: <line>` per line of code, then EXECUTION_STARTED,
   CODE_UNIT_STARTED|[EXTERNAL]|execute_anonymous_apex, the lines above,
   CODE_UNIT_FINISHED|execute_anonymous_apex and EXECUTION_FINISHED. Times are the start time plus
   the nanosecond counter N, which grows by a fixed step per line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

LOG_LEVELS = (
    "APEX_CODE,DEBUG;APEX_PROFILING,INFO;CALLOUT,INFO;DB,INFO;NBA,INFO;SYSTEM,DEBUG;"
    "VALIDATION,INFO;VISUALFORCE,INFO;WAVE,INFO;WORKFLOW,INFO"
)
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = {")", "]", "}"}
_LOGGED_LEVELS = {"ERROR", "WARN", "INFO", "DEBUG"}
_QUIET_LEVELS = {"FINE", "FINER", "FINEST", "NONE"}
_STRING_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "'": "'", '"': '"', "\\": "\\"}
_SYSTEM_EXCEPTIONS = {
    name.lower(): name
    for name in [
        "AssertException",
        "AsyncException",
        "CalloutException",
        "DmlException",
        "EmailException",
        "FinalException",
        "HandledException",
        "IllegalArgumentException",
        "InvalidParameterValueException",
        "JSONException",
        "LimitException",
        "ListException",
        "MathException",
        "NoAccessException",
        "NoDataFoundException",
        "NoSuchElementException",
        "NullPointerException",
        "QueryException",
        "RequiredFeatureMissingException",
        "SearchException",
        "SecurityException",
        "SerializationException",
        "SObjectException",
        "StringException",
        "TypeException",
        "UnexpectedException",
        "VisualforceException",
        "XmlException",
    ]
}
_STEP_NS = 250_000


@dataclass(frozen=True)
class ApexOutcome:
    """An executeAnonymous result. `line`/`column` are -1 on success; `compile_problem` is set when
    compiled is false; `exception_message`/`exception_stack_trace` when a run fails."""

    compiled: bool
    success: bool
    line: int
    column: int
    compile_problem: str | None
    exception_message: str | None
    exception_stack_trace: str | None
    debug_log: str


@dataclass(frozen=True)
class Token:
    kind: str  # "word", "string", "punct"
    text: str  # for strings: the unescaped value
    line: int
    column: int
    start: int
    end: int


class CompileError(Exception):
    def __init__(self, line: int, column: int, problem: str) -> None:
        super().__init__(problem)
        self.line, self.column, self.problem = line, column, problem


class _Lexer:
    """Splits Apex into words, string literals and single punctuation characters."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.index = 0
        self.line = 1
        self.column = 1

    def advance(self, count: int = 1) -> None:
        for char in self.code[self.index : self.index + count]:
            if char == "\n":
                self.line, self.column = self.line + 1, 1
            else:
                self.column += 1
        self.index += count

    def tokens(self) -> list[Token]:
        found: list[Token] = []
        while self.index < len(self.code):
            token = self.next_token()
            if token is not None:
                found.append(token)
        return found

    def next_token(self) -> Token | None:
        code, index = self.code, self.index
        char = code[index]
        if char.isspace():
            self.advance()
            return None
        if code.startswith("//", index):
            end = code.find("\n", index)
            self.advance((len(code) if end < 0 else end) - index)
            return None
        if code.startswith("/*", index):
            end = code.find("*/", index + 2)
            self.advance((len(code) if end < 0 else end + 2) - index)
            return None
        if char == "'":
            return self.string()
        if char.isalnum() or char == "_":
            return self.word()
        return self.take("punct", char, 1)

    def take(self, kind: str, text: str, length: int) -> Token:
        token = Token(kind, text, self.line, self.column, self.index, self.index + length)
        self.advance(length)
        return token

    def word(self) -> Token:
        end = self.index
        while end < len(self.code) and (self.code[end].isalnum() or self.code[end] == "_"):
            end += 1
        return self.take("word", self.code[self.index : end], end - self.index)

    def string(self) -> Token:
        code, position = self.code, self.index + 1
        value: list[str] = []
        while position < len(code) and code[position] not in "'\n":
            if code[position] == "\\" and position + 1 < len(code) and code[position + 1] != "\n":
                escaped = code[position + 1]
                value.append(_STRING_ESCAPES.get(escaped, escaped))
                position += 2
            else:
                value.append(code[position])
                position += 1
        if position >= len(code) or code[position] != "'":
            raise CompileError(self.line, self.column, "Unterminated string literal")
        return self.take("string", "".join(value), position + 1 - self.index)


class Effects(Protocol):
    """What an org adds to the analyzer: a compile check and a run step per top-level statement. Each
    returns None for a statement it does not handle (or that passes)."""

    def check(self, statement: Sequence[Token]) -> CompileError | None: ...

    def run(self, statement: Sequence[Token]) -> Thrown | None: ...


def _check_balance(tokens: list[Token], code: str) -> None:
    """Raise CompileError for the first unmatched or unclosed bracket."""
    stack: list[Token] = []
    for token in tokens:
        if token.kind != "punct":
            continue
        if token.text in _OPENERS:
            stack.append(token)
        elif token.text in _CLOSERS:
            if not stack or _OPENERS[stack[-1].text] != token.text:
                raise CompileError(token.line, token.column, f"Unexpected token '{token.text}'.")
            stack.pop()
    if stack:
        line, column = _end_position(code)
        raise CompileError(line, column, f"Missing '{_OPENERS[stack[-1].text]}' at '<EOF>'")


def _end_position(code: str) -> tuple[int, int]:
    rows = code.rstrip().split("\n")
    return len(rows), len(rows[-1]) + 1


def _statements(tokens: list[Token]) -> list[list[Token]]:
    """Top-level statements ending with ';' (the ';' excluded). Braced blocks at the top level end a
    statement too; they and any unterminated tail are dropped."""
    statements: list[list[Token]] = []
    current: list[Token] = []
    depth = 0
    for token in tokens:
        if token.kind == "punct" and token.text in _OPENERS:
            depth += 1
        elif token.kind == "punct" and token.text in _CLOSERS:
            depth -= 1
        if depth == 0 and token.text == ";" and token.kind == "punct":
            statements.append(current)
            current = []
        elif depth == 0 and token.text == "}" and token.kind == "punct":
            current = []
        else:
            current.append(token)
    return statements


def words(tokens: list[Token]) -> list[str]:
    return [token.text.lower() if token.kind != "string" else "\0string" for token in tokens]


def _debug_call(statement: list[Token]) -> tuple[str, str] | None:
    """(level, message) of `System.debug([LoggingLevel.X,] 'literal')`, else None."""
    shape = words(statement)
    if shape[:4] != ["system", ".", "debug", "("] or shape[-1:] != [")"]:
        return None
    arguments = statement[4:-1]
    if len(arguments) == 1 and arguments[0].kind == "string":
        return "DEBUG", arguments[0].text
    level_shape = words(arguments[:4])
    if len(arguments) == 5 and level_shape[:2] == ["logginglevel", "."] and level_shape[3] == ",":
        level = arguments[2].text.upper()
        if arguments[4].kind == "string" and level in _LOGGED_LEVELS | _QUIET_LEVELS:
            return level, arguments[4].text
    return None


@dataclass(frozen=True)
class Thrown:
    type_name: str
    message: str
    line: int
    column: int

    @property
    def exception_message(self) -> str:
        return f"{self.type_name}: {self.message}"

    @property
    def stack_trace(self) -> str:
        return f"AnonymousBlock: line {self.line}, column {self.column}"


def _throw(statement: list[Token], code: str) -> Thrown | None:
    """The exception of `throw new T(...)`, else None."""
    shape = words(statement)
    if shape[:2] != ["throw", "new"] or "(" not in shape or shape[-1] != ")":
        return None
    open_at = shape.index("(")
    name_tokens = statement[2:open_at]
    if not name_tokens or any(token.kind == "string" for token in name_tokens):
        return None
    type_name = "".join(token.text for token in name_tokens)
    if "." not in type_name and type_name.lower() in _SYSTEM_EXCEPTIONS:
        type_name = f"System.{_SYSTEM_EXCEPTIONS[type_name.lower()]}"
    arguments = statement[open_at + 1 : -1]
    if not arguments:
        message = "Script-thrown exception"
    elif len(arguments) == 1 and arguments[0].kind == "string":
        message = arguments[0].text
    else:
        message = code[arguments[0].start : arguments[-1].end]
    return Thrown(type_name, message, statement[0].line, statement[0].column)


class _Log:
    """Debug log text with a deterministic nanosecond counter."""

    def __init__(self, code: str, api_version: str, started_at: dt.datetime) -> None:
        self.started_at = started_at
        self.elapsed_ns = 0
        self.lines = [f"{api_version} {LOG_LEVELS}"]
        self.lines += [f"Execute Anonymous: {line}" for line in code.split("\n")]

    def event(self, text: str) -> None:
        self.elapsed_ns += _STEP_NS
        moment = self.started_at + dt.timedelta(microseconds=self.elapsed_ns // 1000)
        stamp = f"{moment:%H:%M:%S}.{moment.microsecond // 1000:03d}"
        self.lines.append(f"{stamp} ({self.elapsed_ns})|{text}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def analyze(
    code: str, *, api_version: str = "62.0", started_at: dt.datetime | None = None, effects: Effects | None = None
) -> ApexOutcome:
    """Compile-check and run `code` as described in the module docstring. `started_at` (default: now,
    UTC) stamps the log lines."""
    try:
        tokens = _Lexer(code).tokens()
        _check_balance(tokens, code)
        _check_statements(_statements(tokens), effects)
    except CompileError as error:
        return ApexOutcome(False, False, error.line, error.column, error.problem, None, None, "")
    log = _Log(code, api_version, started_at or dt.datetime.now(dt.UTC))
    log.event("EXECUTION_STARTED")
    log.event("CODE_UNIT_STARTED|[EXTERNAL]|execute_anonymous_apex")
    thrown = _run(_statements(tokens), code, log, effects)
    if thrown is not None:
        log.event(f"EXCEPTION_THROWN|[{thrown.line}]|{thrown.exception_message}")
        log.event(f"FATAL_ERROR|{thrown.exception_message}\n\n{thrown.stack_trace}")
    log.event("CODE_UNIT_FINISHED|execute_anonymous_apex")
    log.event("EXECUTION_FINISHED")
    if thrown is None:
        return ApexOutcome(True, True, -1, -1, None, None, None, log.text())
    return ApexOutcome(
        True,
        False,
        thrown.line,
        thrown.column,
        None,
        thrown.exception_message,
        thrown.stack_trace,
        log.text(),
    )


def _check_statements(statements: list[list[Token]], effects: Effects | None) -> None:
    for statement in statements if effects is not None else []:
        problem = effects.check(statement) if statement and effects is not None else None
        if problem is not None:
            raise problem


def _run(statements: list[list[Token]], code: str, log: _Log, effects: Effects | None) -> Thrown | None:
    """Execute the recognized statements in order; return the exception that stopped the run."""
    for statement in statements:
        if not statement:
            continue
        effect = effects.run(statement) if effects is not None else None
        if effect is not None:
            return effect
        debug = _debug_call(statement)
        if debug is not None and debug[0] in _LOGGED_LEVELS:
            log.event(f"USER_DEBUG|[{statement[0].line}]|{debug[0]}|{debug[1]}")
        thrown = _throw(statement, code)
        if thrown is not None:
            return thrown
    return None
