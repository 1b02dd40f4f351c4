"""TrainConfig: defaults, validation, TOML loading and precedence, the effective-config file."""

from __future__ import annotations

import json

import pytest

from mcgen.errors import ConfigError
from trainer.config import TrainConfig, build_config, load_toml, write_effective_config


def test_defaults_are_the_documented_ones():
    c = TrainConfig()
    assert (c.data, c.out, c.model_size, c.epochs, c.batch_size, c.lr) == ("dataset/", "outputs/", "small", 50, 8, 1e-4)
    assert (c.sample_every, c.samples_per_step, c.sample_steps, c.ckpt_every) == (5, 2, 10, 50)
    assert (c.resume, c.seed, c.device, c.amp, c.max_steps) == (None, 0, "auto", "auto", None)


@pytest.mark.parametrize("bad", [
    {"epochs": 0}, {"batch_size": -1}, {"lr": 0.0}, {"lr": 2.0}, {"model_size": "huge"}, {"amp": "int8"},
    {"ema_decay": 1.0}, {"label_dropout": 1.0}, {"patch_size": 3}, {"max_steps": 0}, {"keep_last": -1},
    {"epochs": "5"}, {"augment": 1}, {"lr_schedule": "step"}, {"batch_size": 6, "grad_accum": 4}, {"threads": -1},
])
def test_bad_values_raise_config_error_with_the_field_name(bad):
    with pytest.raises(ConfigError) as info:
        TrainConfig(**bad)
    assert next(iter(bad)) in str(info.value)


def test_frozen():
    with pytest.raises(Exception):
        TrainConfig().lr = 1.0  # type: ignore[misc]


def test_toml_then_flags_precedence(tmp_path):
    f = tmp_path / "run.toml"
    f.write_text('model-size = "tiny"\nlr = 3e-4\nepochs = 7\n[train]\nbatch_size = 4\n')
    assert load_toml(f) == {"model_size": "tiny", "lr": 3e-4, "epochs": 7, "batch_size": 4}
    cfg = build_config(f, epochs=9, lr=None)
    assert (cfg.model_size, cfg.lr, cfg.epochs, cfg.batch_size) == ("tiny", 3e-4, 9, 4)


def test_toml_errors_are_one_line_config_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("lr = = 1\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_toml(bad)
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("learning_rate = 1e-3\n")
    with pytest.raises(ConfigError, match="unknown setting 'learning_rate'"):
        load_toml(unknown)
    with pytest.raises(ConfigError, match="cannot read"):
        load_toml(tmp_path / "missing.toml")
    wrong_type = tmp_path / "type.toml"
    wrong_type.write_text('epochs = "ten"\n')
    with pytest.raises(ConfigError, match="epochs"):
        build_config(wrong_type)


def test_effective_config_file(tmp_path):
    cfg = TrainConfig(model_size="tiny")
    write_effective_config(cfg, tmp_path / "config.json", {"device": "cpu", "total_steps": 10})
    doc = json.loads((tmp_path / "config.json").read_text())
    assert doc["config"]["model_size"] == "tiny" and doc["resolved"]["total_steps"] == 10
    assert TrainConfig(**doc["config"]) == cfg


def test_the_torch_free_name_lists_match_the_model_and_objectives() -> None:
    """trainer.config keeps its own copies (it validates flags before torch loads); they must agree."""
    from mcgen.ml.objectives.masked import WEIGHTINGS
    from mcgen.ml.objectives.masked_steps import MASK_SCHEDULES
    from mcgen.ml.config import PRESETS
    from mcgen.ml.objectives import OBJECTIVES
    from trainer import config

    assert config.MODEL_SIZES == tuple(PRESETS)
    assert config.OBJECTIVES == tuple(OBJECTIVES)
    assert config.MASK_SCHEDULES == MASK_SCHEDULES and config.MASK_WEIGHTINGS == WEIGHTINGS
