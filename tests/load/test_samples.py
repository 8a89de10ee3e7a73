from pathlib import Path

from harness.load.samples import SAMPLE_COLUMNS, Sample, SampleWriter, read_samples


def _sample(index: int) -> Sample:
    return Sample(
        t_intended=1000.0 + index,
        t_start=1000.25 + index,
        latency_ms=12.5,
        status=200,
        ok=1,
        error="",
        replica=f"replica-{index}",
        version="",
        attempts=index,
        degraded=0,
        late=1,
    )


def test_rows_round_trip_with_types(tmp_path: Path) -> None:
    path = tmp_path / "samples.csv"
    writer = SampleWriter(path)
    for index in range(3):
        writer.write(_sample(index))
    writer.close()
    frame = read_samples(path)
    assert tuple(frame.columns) == SAMPLE_COLUMNS
    assert frame["t_start"].tolist() == [1000.25, 1001.25, 1002.25]
    assert frame["replica"].tolist() == ["replica-0", "replica-1", "replica-2"]
    assert frame["version"].tolist() == ["", "", ""]
    assert frame["attempts"].tolist() == [0, 1, 2]
    assert frame["status"].dtype.kind == "i"


def test_rows_reach_disk_without_close_once_the_flush_interval_passed(tmp_path: Path) -> None:
    path = tmp_path / "samples.csv"
    writer = SampleWriter(path, flush_every_s=0.0)
    writer.write(_sample(0))
    assert len(read_samples(path)) == 1
    writer.close()


def test_truncated_last_line_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "samples.csv"
    writer = SampleWriter(path)
    writer.write(_sample(0))
    writer.write(_sample(1))
    writer.close()
    with path.open("a", encoding="utf-8") as handle:
        handle.write("1002.000000,1002.1")
    frame = read_samples(path)
    assert frame["replica"].tolist() == ["replica-0", "replica-1"]


def test_missing_or_header_only_file_gives_an_empty_frame(tmp_path: Path) -> None:
    assert tuple(read_samples(tmp_path / "absent.csv").columns) == SAMPLE_COLUMNS
    SampleWriter(tmp_path / "empty.csv").close()
    frame = read_samples(tmp_path / "empty.csv")
    assert len(frame) == 0 and tuple(frame.columns) == SAMPLE_COLUMNS
