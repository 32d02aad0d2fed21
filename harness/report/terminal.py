"""What the `server` and `sdk` commands print about a run's problems, from the record alone."""

from __future__ import annotations

from harness.report import replay, views
from harness.report.record import RunRecord

LABELS = {"deviation": "KNOWN", "failed": "FAIL", "error": "ERROR"}
INDENT = " " * 5
MESSAGE_CHARACTERS = 400
BODY_CHARACTERS = 200


def problem_lines(record: RunRecord, first_line_only: bool = True) -> list[str]:
    """Each outcome that did not pass: the check, its rule, source and message (its first line
    only, unless `first_line_only` is False), and the first request that showed it with its
    answer; after the last outcome of each failed check, the command that replays that check
    (a request that names resources the run made is marked as evidence only: the replay
    command is what reproduces it)."""
    problems = [outcome for outcome in record.merged() if outcome.status != "passed"]
    lines: list[str] = []
    broken = False
    for index, outcome in enumerate(problems):
        broken = broken or outcome.status in ("failed", "error")
        check = outcome.check
        message = outcome.message or outcome.status
        if first_line_only:
            message = message.splitlines()[0]
        lines += [
            f"{LABELS[outcome.status]} {check.id} [{outcome.subject}] {check.rule}",
            f"{INDENT}source: {check.source.value} ({check.reference})",
            f"{INDENT}{message[:MESSAGE_CHARACTERS]}",
        ]
        for evidence in views.shown_evidence(outcome)[:1]:
            if evidence.curl:
                if replay.run_resources(evidence.curl):
                    lines.append(
                        f"{INDENT}evidence only, it names resources the run made "
                        "(replay the check instead):"
                    )
                lines.append(f"{INDENT}{evidence.curl}")
            if evidence.status is not None:
                body = " ".join((evidence.response_body or "").split())[:BODY_CHARACTERS]
                lines.append(f"{INDENT}-> HTTP {evidence.status} {body}".rstrip())
        following = problems[index + 1] if index + 1 < len(problems) else None
        last_of_check = following is None or following.check_id != outcome.check_id
        if not last_of_check:
            continue
        command = replay.replay_command(record, outcome)
        if broken and command:
            lines.append(f"{INDENT}replay: {command}")
        broken = False
    return lines
