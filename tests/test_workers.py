"""Parallel worker processes: item order, build directories, bad job counts."""

import os

import pytest

from models.workers import run_in_workers, worker_build_dirs


def test_results_keep_item_order_and_worker_dirs(tmp_path):
    items = ["a", "b", "c", "d", "e"]
    # os.path.join is importable by name in the spawned workers.
    joined = run_in_workers(os.path.join, items, jobs=2, build_dir=tmp_path)
    workers = worker_build_dirs(tmp_path, 2)
    expected = [os.path.join(item, workers[k % 2]) for k, item in enumerate(items)]
    assert joined == expected


def test_one_job_runs_here_in_the_build_dir(tmp_path):
    assert run_in_workers(os.path.join, ["a"], jobs=4, build_dir=tmp_path) == [
        os.path.join("a", tmp_path)
    ]
    assert worker_build_dirs(tmp_path, 1) == [tmp_path]


def test_zero_jobs_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="jobs=0"):
        run_in_workers(os.path.join, ["a"], jobs=0, build_dir=tmp_path)
