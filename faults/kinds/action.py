"""An action: the scenario's own command or HTTP request, run at `at`. How a drill triggers what the
user's own tooling does to any stack: a deploy, a rollback, a scale-out, a config change.

- It needs no capability: it works on every stack, the reference one included (which gives actions
  `${CHAOSDRILL_ADMIN_TOKEN}` for its admin API: in a request's headers, or a command's environment).
- Not applied means not done: a command that exits non-zero or is killed at `timeout`, a request that
  fails or is answered with a status >= 400. The fault is then an error (the verdict rule), the drill
  goes on, and what it printed or answered is kept in `logs/actions/` for the postmortem.
- `undo` (same shape) ends it. With a `duration` an undo is required: the end of the window must end
  something, or the plan would show a fault being cleared that nothing clears. Without `duration` the
  action stays; its undo, if given, runs when the load ends, leaving the stack as it was found.
- The undo runs once the action was started, also when it failed: a deploy that broke half-way is the
  one most in need of being rolled back.
- With a `target`, it runs once per drawn node, with `CHAOSDRILL_NODE` (its name) and, where the stack
  sets them, `CHAOSDRILL_NODE_PORT` and `CHAOSDRILL_NODE_LINK` among its variables:
  `run: [kubectl, delete, pod, "${CHAOSDRILL_NODE}"]`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Self

import httpx
from pydantic import model_validator

from faults.injector import Injector
from faults.kind import CheckContext, FaultKind, FaultOrder, FaultParams
from harness.backends.variables import (
    RUN_DIR_VARIABLE,
    link_variable,
    port_variable,
    stack_variables,
)
from harness.calls import (
    Command,
    HttpCall,
    call_environment,
    describe_command,
    resolve_command,
    run_command,
)
from harness.durations import PositiveDuration
from harness.interrupts import check_interrupted

NODE_VARIABLE = "CHAOSDRILL_NODE"
NODE_PORT_VARIABLE = "CHAOSDRILL_NODE_PORT"
NODE_LINK_VARIABLE = "CHAOSDRILL_NODE_LINK"
ACTIONS_LOGS = Path("logs") / "actions"
"""Under the run directory: what each action printed or was answered."""
_SHOWN_BODY_CHARS = 200


class ActionHttp(HttpCall):
    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] = "POST"


class ActionStep(FaultParams):
    """`run: [cmd, ...]` (or one string, run by /bin/sh -c) or `http: {method, url, json, headers}`."""

    run: Command | None = None
    http: ActionHttp | None = None

    @model_validator(mode="after")
    def _one_way(self) -> Self:
        if (self.run is None) == (self.http is None):
            raise ValueError("give either 'run' (a command) or 'http' (a request)")
        return self

    def describe(self) -> str:
        return describe_command(self.run) if self.run is not None else self.http.describe()  # type: ignore[union-attr]


class ActionParams(ActionStep):
    undo: ActionStep | None = None
    timeout: PositiveDuration = 30.0
    """For the action and for its undo, each."""


class ActionFailed(Exception):
    """The action (or its undo) was not done; the message says why and where its output is."""


class ActionRun:
    """Runs the action once (for one node, or for none) and its undo when the fault is cleared."""

    def __init__(self, fault: str, params: ActionParams, stack: object, node: str | None):
        self.fault = fault
        self.params = params
        self.stack = stack
        self.node = node
        self.description = f"action {fault}" + (f" on {node}" if node else "")
        self._started = False

    def apply(self) -> dict[str, Any]:
        self._started = True
        return self._perform(self.params, "params")

    def clear(self) -> None:
        """Runs the undo once, if there is one and the action was started."""
        if not self._started or self.params.undo is None:
            return
        self._started = False
        self._perform(self.params.undo, "params.undo")

    def _perform(self, step: ActionStep, field: str) -> dict[str, Any]:
        variables = stack_variables(self.stack)
        if self.node is not None:
            variables = {**variables, **node_variables(variables, self.node)}
        names = call_environment(variables)
        where = f"fault {self.fault}: {field}"
        suffix = (f".{self.node}" if self.node else "") + (".undo" if field.endswith("undo") else "")
        log = ACTIONS_LOGS / f"{self.fault}{suffix}.log"
        log_path = Path(variables[RUN_DIR_VARIABLE]) / log
        log_path.parent.mkdir(parents=True, exist_ok=True)
        if step.run is not None:
            return self._command(step, resolve_command(step.run, names, f"{where}.run"), names, log, log_path)
        assert step.http is not None
        return self._request(step.http, step.http.resolved(names, f"{where}.http"), log, log_path)

    def _command(
        self, step: ActionStep, argv: list[str], env: dict[str, str], log: Path, log_path: Path
    ) -> dict[str, Any]:
        timeout = self.params.timeout
        try:
            result = run_command(argv, env, timeout)
        except OSError as exc:
            log_path.write_text(f"$ {step.describe()}\ncannot run: {exc}\n", encoding="utf-8")
            raise ActionFailed(f"{step.describe()}: cannot run: {exc}") from None
        finally:
            check_interrupted()  # a signal during the spawn may have been swallowed (harness.interrupts)
        log_path.write_text(
            f"$ {step.describe()}\nexit: {result.exit_code}, {result.seconds:.2f}s\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}\n",
            encoding="utf-8",
        )
        failure = result.failure(timeout)
        if failure:
            raise ActionFailed(f"{step.describe()} {failure} (output in {log})")
        return {"run": step.describe(), "exit": 0, "seconds": round(result.seconds, 3), "log": str(log)}

    def _request(self, written: HttpCall, call: HttpCall, log: Path, log_path: Path) -> dict[str, Any]:
        try:
            with httpx.Client() as client:
                answer = call.send(client, self.params.timeout)
        except httpx.HTTPError as exc:
            log_path.write_text(f"{written.describe()}\n{type(exc).__name__}: {exc}\n", encoding="utf-8")
            raise ActionFailed(f"{written.describe()}: {type(exc).__name__}: {exc}") from None
        seconds = answer.elapsed.total_seconds()
        log_path.write_text(
            f"{written.describe()}\nHTTP {answer.status_code}, {seconds:.2f}s\n\n{answer.text}\n",
            encoding="utf-8",
        )
        if answer.status_code >= 400:
            body = " ".join(answer.text.split())[:_SHOWN_BODY_CHARS]
            raise ActionFailed(f"{written.describe()} answered {answer.status_code}: {body} (in {log})")
        return {"http": written.describe(), "status": answer.status_code, "seconds": round(seconds, 3)}


def node_variables(variables: dict[str, str], node: str) -> dict[str, str]:
    """The target node's name, and its port and link where the stack sets them."""
    own = {NODE_VARIABLE: node}
    for name, source in (
        (NODE_PORT_VARIABLE, port_variable(node)),
        (NODE_LINK_VARIABLE, link_variable(node)),
    ):
        if source in variables:
            own[name] = variables[source]
    return own


@dataclass(frozen=True, kw_only=True)
class Action(FaultKind[ActionParams]):
    name: str = "action"
    params: type[ActionParams] = ActionParams
    category: Literal["action"] = "action"
    needs: frozenset[Any] = frozenset()
    subject: str = "the stack, by the scenario's own command"
    may_target: bool = True
    open_ended: bool = True

    def injectors(self, order: FaultOrder[ActionParams], stack: Any) -> list[Injector]:
        nodes: tuple[str | None, ...] = order.targets or (None,)
        return [ActionRun(order.name, order.params, stack, node) for node in nodes]

    def check(self, params: ActionParams, context: CheckContext) -> tuple[str, str] | None:
        if context.duration is not None and params.undo is None:
            return (
                "params.undo",
                "an action with a duration needs an undo, run when its window ends "
                "(leave 'duration' out for an action that stays)",
            )
        return None

    def undo_words(self, targets: str) -> str:
        return "run the undo"


KINDS = (Action(),)
