"""Defaults from model size and hardware, the memory warning, and the TRL recipe file."""

from __future__ import annotations

import pytest
import yaml

from backend.errors import InvalidInput
from backend.models import DataRefs, Hyperparameters, ProviderKind, TrainingConfig
from backend.training.defaults import resolve
from backend.training.hardware import Hardware, ModelFacts, model_facts
from backend.training.recipe import recipe, trainer_arguments
from backend.training.spec import RunSpec, TrainSettings

CPU = Hardware(device="cpu", name="CPU", memory_bytes=16 * 2**30, cpu_threads=2)
GPU = Hardware(device="cuda", name="GPU", memory_bytes=24 * 2**30, bf16=True, fp16=True, quantization=True)
SEVEN_B = ModelFacts(parameters=7_000_000_000, hidden_size=4096, layers=32, vocab_size=32000, max_positions=4096,
                     chat_template=True, assistant_masks=True)


def config(**kw) -> TrainingConfig:
    return TrainingConfig(provider=ProviderKind.HF_LOCAL, base_model="m", training_file="t.jsonl", **kw)


def test_tiny_model_facts_are_read_from_its_files(tiny_model_dir):
    facts = model_facts(tiny_model_dir)
    assert 300_000 < facts.parameters < 2_000_000
    assert facts.chat_template and facts.assistant_masks
    assert facts.hidden_size == 128 and facts.layers == 2


def test_cpu_trains_in_fp32_and_never_leaves_trl_bf16_default_on(tiny_model_dir):
    plan = resolve(config(), model_facts(tiny_model_dir), CPU, examples=100, tokens=5000)
    args = trainer_arguments(plan.settings, "out", evaluate=False)
    assert plan.settings.device == "cpu" and plan.settings.precision == "fp32"
    assert args["bf16"] is False and args["fp16"] is False and args["use_cpu"] is True
    assert plan.settings.assistant_only_loss and not plan.settings.packing
    assert plan.fits and plan.warning is None and plan.seconds and plan.seconds > 0


def test_gpu_gets_bf16_and_user_choices_win_over_defaults():
    plan = resolve(config(hyperparameters=Hyperparameters(n_epochs=5, learning_rate_multiplier=0.5),
                          options={"lora_r": 64}), SEVEN_B, GPU, examples=2000)
    s = plan.settings
    assert s.precision == "bf16" and s.device == "cuda"
    assert (s.epochs, s.lora_r, s.learning_rate) == (5.0, 64, pytest.approx(1e-4))


def test_full_fine_tuning_of_a_7b_model_on_a_small_gpu_warns_before_launch():
    plan = resolve(config(options={"adapter": "full"}), SEVEN_B, GPU.model_copy(update={"memory_bytes": 8 * 2**30}))
    assert not plan.fits
    assert "GiB" in plan.warning and "LoRA" in plan.warning
    assert plan.settings.batch_size == 1 and plan.settings.activation_checkpointing  # shrunk before warning


def test_qlora_is_refused_without_cuda_and_bitsandbytes():
    with pytest.raises(InvalidInput, match="QLoRA needs"):
        resolve(config(options={"adapter": "qlora"}), SEVEN_B, CPU)


def test_unknown_options_are_named():
    with pytest.raises(InvalidInput, match="lora_rank"):
        resolve(config(options={"lora_rank": 8}), SEVEN_B, CPU)


@pytest.mark.parametrize("method, script", [("supervised", "sft"), ("dpo", "dpo")])
def test_recipe_is_accepted_by_trl_cli_parser(tmp_path, method, script):
    import importlib

    settings = TrainSettings(method=method, adapter="lora", lora_r=8, max_length=256, learning_rate=1e-4,
                             eval_steps=5)
    spec = RunSpec(config=config(method=method), data=DataRefs(training="t"), model_path="/models/tiny",
                   settings=settings)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "test.jsonl").write_text("{}\n")
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe(spec, tmp_path / "data", str(tmp_path / "out"))))
    parser = importlib.import_module(f"trl.scripts.{script}").make_parser()
    script_args, training_args, model_args, *_ = parser.parse_args_and_config(["--config", str(path)],
                                                                              fail_with_unknown_args=True)
    assert model_args.model_name_or_path == "m"  # the Hub id, not the cache folder: reruns anywhere
    assert model_args.use_peft and model_args.lora_r == 8
    assert training_args.learning_rate == 1e-4 and training_args.max_length == 256
    assert training_args.bf16 is False and training_args.eval_strategy == "steps" and training_args.eval_steps == 5
    assert script_args.dataset_name == str(tmp_path / "data")


def test_packing_comes_with_flash_attention_in_the_recipe(tmp_path):
    from trl.scripts.sft import make_parser

    flash_gpu = GPU.model_copy(update={"flash_attention": True})
    settings = resolve(config(), SEVEN_B, flash_gpu, examples=5000).settings
    assert settings.packing and not resolve(config(), SEVEN_B, GPU, examples=5000).settings.packing
    spec = RunSpec(config=config(), data=DataRefs(training="t"), model_path="/m", settings=settings)
    mapping = recipe(spec, tmp_path, str(tmp_path / "out"))
    # A bf16 config cannot be instantiated on this GPU-less machine, so check the keys against the parser's.
    assert set(mapping) <= {action.dest for action in make_parser()._actions}
    assert mapping["packing"] and mapping["padding_free"] and mapping["bf16"] and not mapping["use_cpu"]
    assert mapping["attn_implementation"] == "flash_attention_2" and mapping["dtype"] == "bfloat16"


def test_maximum_length_follows_the_longest_example_within_the_device_cap():
    assert resolve(config(), SEVEN_B, GPU, examples=100, tokens=10_000, longest=300).settings.max_length == 512
    assert resolve(config(), SEVEN_B, GPU, examples=100, longest=100_000).settings.max_length == 2048
    assert resolve(config(), SEVEN_B, CPU, examples=100, longest=100_000).settings.max_length == 1024
    assert resolve(config(options={"max_length": 64}), SEVEN_B, GPU, longest=300).settings.max_length == 64


def test_the_time_estimate_follows_the_epochs_and_the_disk_need_is_estimated(tiny_model_dir):
    """A small model's run is mostly per-batch work: 40 epochs take about 40/3 as long as 3 (the estimate once
    stayed at "about a minute" whatever the epochs)."""
    facts = model_facts(tiny_model_dir)
    three = resolve(config(hyperparameters=Hyperparameters(n_epochs=3)), facts, CPU, examples=40, tokens=4000)
    forty = resolve(config(hyperparameters=Hyperparameters(n_epochs=40)), facts, CPU, examples=40, tokens=4000)
    assert forty.seconds / three.seconds == pytest.approx(40 / 3, rel=0.01)
    assert forty.seconds > 90  # more than "about a minute": 40 x 10 batches of 4 on a CPU
    full = resolve(config(options={"adapter": "full"}), SEVEN_B, GPU, examples=40, tokens=4000)
    lora = resolve(config(), SEVEN_B, GPU, examples=40, tokens=4000)
    assert full.disk_needed > 4 * 7e9 * 2 and 0 < lora.disk_needed < full.disk_needed / 20
