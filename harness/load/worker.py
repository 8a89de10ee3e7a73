"""The load worker process: `python -m harness.load.worker CONFIG.json OUT_DIR`.

It runs real Locust through its library API, headless, in a process of its own: Locust monkey-patches
the standard library with gevent, which must happen before requests/urllib3 are imported and must never
happen inside the harness's main process.
"""

import locust  # noqa: F401, I001  (first import on purpose: gevent monkey-patching before anything else)

import json
import os
import signal
import sys
import time
from pathlib import Path

import gevent
from gevent.event import Event
from locust.env import Environment
from locust.log import setup_logging

from harness.errors import HarnessError
from harness.load.bodies import body_encoder
from harness.load.config import LoadConfig
from harness.load.csvstream import Stream
from harness.load.error_samples import ErrorSampler
from harness.load.features_log import FeatureLog
from harness.load.label_poster import LabelPoster
from harness.load.files import ERROR_SAMPLES_FILE, FEATURES_FILE, READY_FILE, SAMPLES_FILE, SUMMARY_FILE
from harness.load.locustfile_users import LocustfileRecorder, user_classes
from harness.load.observation import AnswerReader
from harness.load.payloads import FeatureSchemaError, PayloadGenerator, check_schema
from harness.load.replay import load_replay
from harness.load.samples import SampleWriter
from harness.load.users import AnswerLog, OpenLoopSchedule, RequestRecorder, StagedUsers, build_user_class

_POLL_S = 0.01


def _sleep_until(moment: float, interrupted: Event) -> bool:
    """Sleep until `moment`; False as soon as a stop signal arrives."""
    return not interrupted.wait(max(0.0, moment - time.time()))


def _drain(recorder: RequestRecorder | LocustfileRecorder, deadline: float, interrupted: Event) -> None:
    """Let requests already on the wire finish (bounded by the request timeout) so they get recorded."""
    while recorder.in_flight and time.time() < deadline and not interrupted.is_set():
        gevent.sleep(_POLL_S)


def _flush_periodically(streams: list[Stream], period_s: float) -> None:
    while True:
        gevent.sleep(period_s)
        for stream in streams:
            stream.flush()


def _payloads(config: LoadConfig, late_s: float) -> PayloadGenerator:
    """Raises (HarnessError, FeatureSchemaError) before the worker reports ready: bad input never loads.

    Drift windows are planned relative to `start_at`; a worker that starts `late_s` late shifts them
    with the load, as the harness shifts its other faults, so drift and load stay lined up."""
    check_schema(config.features)
    label = config.replay_label if config.truth else None
    replay, labels = load_replay(config.replay, config.features, label) if config.replay else (None, None)
    drifts = [
        drift.model_copy(update={
            "start_at": drift.start_at + late_s,
            "end_at": None if drift.end_at is None else drift.end_at + late_s,
        })
        for drift in config.drifts
    ]  # fmt: skip
    try:
        encoder = body_encoder(config.request, config.features)
    except ValueError as exc:
        raise HarnessError(f"load.request: {exc}") from None
    return PayloadGenerator(
        config.features, config.seed, config.rows_per_request, drifts=drifts, replay=replay, encoder=encoder,
        replay_labels=labels,
    )  # fmt: skip


def _users(
    config: LoadConfig, out_dir: Path, t0: float
) -> tuple[Environment, RequestRecorder | LocustfileRecorder, OpenLoopSchedule | None, list[Stream]]:
    """Chaosdrill's own users sending the scenario's requests, or the scenario's locustfile's users, with
    what records their answers. Bad input raises before any file is written."""
    payloads = _payloads(config, late_s=t0 - config.start_at) if config.locustfile is None else None
    classes = user_classes(config.locustfile, config.target_url) if config.locustfile is not None else []
    writer = SampleWriter(out_dir / SAMPLES_FILE)
    errors = ErrorSampler(out_dir / ERROR_SAMPLES_FILE)
    answers = AnswerLog(writer, AnswerReader(config.observe), errors)
    shape = StagedUsers(config.stages, config.spawn_rate) if config.stages else None
    if payloads is None:
        timeout = config.request_timeout_s
        environment = Environment(
            user_classes=classes, host=config.target_url, shape_class=shape, stop_timeout=timeout
        )
        return environment, LocustfileRecorder(environment, answers), None, [writer, errors]
    features_log = FeatureLog(out_dir / FEATURES_FILE, payloads.names) if config.log_features else None
    labels = None
    if config.feedback is not None:
        labels = LabelPoster(config.target_url, config.feedback, config.request_timeout_s)
    recorder = RequestRecorder(config, payloads, answers, features_log, labels)
    user_class, schedule = build_user_class(config, recorder, t0)
    staged = config.mode == "closed" and shape is not None
    environment = Environment(
        user_classes=[user_class],
        host=config.target_url,
        shape_class=shape if staged else None,
        # Users a stage no longer needs finish the request they are sending, so every request sent is
        # recorded; a request takes at most its timeout.
        stop_timeout=config.request_timeout_s if staged else None,
    )
    streams: list[Stream] = [writer, errors] if features_log is None else [writer, errors, features_log]
    return environment, recorder, schedule, streams


def run(config: LoadConfig, out_dir: Path) -> dict[str, object]:
    """Drive the load and return the run summary written to load.json."""
    setup_logging("INFO")
    t0 = max(config.start_at, time.time())
    environment, recorder, schedule, streams = _users(config, out_dir, t0)
    labels = recorder.labels if isinstance(recorder, RequestRecorder) else None
    labels_tally: dict[str, object] = {}
    interrupted = Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        gevent.signal_handler(signum, interrupted.set)

    runner = environment.create_local_runner()
    flusher = gevent.spawn(_flush_periodically, streams, 0.25)
    ready_tmp = out_dir / f"{READY_FILE}.tmp"
    ready_tmp.write_text(f"{t0:.6f}\n", encoding="utf-8")
    os.replace(ready_tmp, out_dir / READY_FILE)  # atomic: the harness never reads a half-written time

    try:
        if schedule is not None:
            # Open model: the pool is spawned ahead of t0; its users sleep until their slots come up.
            runner.start(config.max_users, spawn_rate=config.max_users * 20.0)
            started = _sleep_until(t0, interrupted)
        else:
            started = _sleep_until(t0, interrupted)
            if started and environment.shape_class is not None:
                runner.start_shape()
            elif started:
                assert config.users is not None
                runner.start(config.users, spawn_rate=config.spawn_rate)
        t_end = t0 + config.duration_s
        if started and _sleep_until(t_end, interrupted):
            if config.locustfile is not None:
                runner.stop()  # a locustfile's users finish their current task (at most stop_timeout)
            _drain(recorder, t_end + config.request_timeout_s, interrupted)
        stopped_at = time.time()
        runner.quit()
    finally:
        if labels is not None:
            labels_tally = {"labels": labels.stop()}
        flusher.kill()
        for stream in streams:
            stream.flush()
            stream.close()

    not_sent = max(0, schedule.due(stopped_at) - recorder.sent) if schedule is not None else 0
    return {
        "started_at": t0,
        "stopped_at": stopped_at,
        "mode": config.mode,
        "sent": recorder.sent,
        "completed": recorder.completed,
        "late": recorder.late,
        "not_sent": not_sent,
        "interrupted": interrupted.is_set(),
        **labels_tally,
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m harness.load.worker CONFIG.json OUT_DIR", file=sys.stderr)
        return 2
    config = LoadConfig.model_validate_json(Path(argv[0]).read_text(encoding="utf-8"))
    out_dir = Path(argv[1])
    try:
        summary = run(config, out_dir)
    except (HarnessError, FeatureSchemaError) as exc:  # bad input: one clear line for the harness to relay
        print(f"load worker: {exc}", file=sys.stderr, flush=True)
        return 2
    (out_dir / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(f"load worker done: {json.dumps(summary)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
