import pytest
from offerstream_trainer import __version__
from offerstream_trainer.cli import build_parser, clickhouse_from_env


def test_version_flag_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["--version"])
    assert exit_info.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_a_command_is_required() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args([])


def test_clickhouse_settings_come_from_the_same_variables_as_the_services() -> None:
    ch = clickhouse_from_env(
        {"CLICKHOUSE_URL": "http://ch:8123", "CLICKHOUSE_DATABASE": "db1", "CLICKHOUSE_USER": "u"}
    )
    assert (ch.url, ch.database, ch.user, ch.password) == ("http://ch:8123", "db1", "u", "")


def test_train_flags_reach_the_train_configuration_and_bad_values_are_refused() -> None:
    from offerstream_trainer.cli import _configs

    args = build_parser().parse_args(
        ["train", "--since", "1d", "--validation-share", "0.2", "--epochs", "3", "--min-steps", "0"]
    )
    _, train = _configs(args)
    assert (train.validation_share, train.epochs, train.min_steps) == (0.2, 3, 0)
    assert _configs(build_parser().parse_args(["train"]))[1].min_steps == 200
    assert build_parser().parse_args(["train"]).no_refit is False
    assert build_parser().parse_args(["train", "--no-refit"]).no_refit is True
    bad = build_parser().parse_args(["train", "--since", "1d", "--validation-share", "1.5"])
    with pytest.raises(ValueError, match="validation_share"):
        _configs(bad)
