"""The review before launch, in the user's words for the chosen provider: what trains, on what data, with which
settings (every "Auto" resolved and said), where it runs, how long it should take and what it costs, and what
Launch does.

``review_card`` only words what others compute: the cost (``backend.data.cost.training_cost``), and for a run on
this computer the plan (``backend.training.defaults.resolve``: settings, memory, time, disk). How a provider is
spoken of comes from its class's facts (``label``, ``cost_kind``, ``where()``, ``on_launch()``,
``hyperparameter_ranges``), never from which provider it is. The card is plain data: the wizard shows it as
labels, the command line could print it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from backend.models import CostEstimate, TrainingConfig
from backend.words import duration, plural, size

if TYPE_CHECKING:
    from backend.data.report import Stats
    from backend.training.defaults import Plan
    from backend.training.hardware import Hardware


@dataclass(frozen=True)
class Row:
    label: str
    value: str
    path: bool = False  # a file or folder: shown elided in the middle, in full in a tooltip
    role: str = ""  # "warning": the value is a warning


@dataclass(frozen=True)
class Section:
    title: str
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Card:
    sections: tuple[Section, ...]
    launch: str  # what Launch does, one sentence

    def text(self) -> str:
        """The card as plain text (tests, logs, the command line)."""
        parts = []
        for section in self.sections:
            parts.append(section.title)
            parts += [f"  {row.label}: {row.value}" for row in section.rows]
        return "\n".join(parts + ["", self.launch])


@dataclass(frozen=True)
class DataFacts:
    """What the review says of the data: the data page's statistics and the user's choices there."""

    stats: Stats | None
    dedupe: bool = False
    drop_invalid: bool = False

    def training_examples(self, config: TrainingConfig) -> tuple[int, int] | None:
        """(trained on, held out) after the duplicates removed and the split, or None before the data is checked."""
        from backend.data.cost import split_sizes

        if self.stats is None:
            return None
        count = max(0, self.stats.valid_examples - (self.stats.duplicates if self.dedupe else 0))
        return split_sizes(count, config.validation_split, bool(config.validation_file))


@dataclass(frozen=True)
class LocalPlan:
    """A run on this computer, as ``resolve`` plans it (``plan`` None with ``problem`` when it cannot)."""

    plan: Plan | None = None
    hardware: Hardware | None = None
    downloads: bool = False  # the base model is not on this computer yet
    problem: str = ""
    notes: list[str] = field(default_factory=list)


def local_plan(config: TrainingConfig, data: DataFacts, cost: CostEstimate | None) -> LocalPlan:
    """The plan for training ``config`` here: the hardware (imports torch: call it in a worker), the model's facts
    and the settings ``resolve`` chooses for the training share."""
    from backend import hub
    from backend.errors import StudioError
    from backend.training.defaults import resolve
    from backend.training.hardware import detect, facts_for

    try:
        hardware = detect(config.options.get("device", "auto"))
        facts = facts_for(config.base_model)
        if facts is None:
            return LocalPlan(hardware=hardware, problem="The model's size is not known until it is downloaded.")
        sizes, stats = data.training_examples(config), data.stats
        plan = resolve(config, facts, hardware, examples=sizes[0] if sizes else None,
                       tokens=cost.tokens_per_epoch if cost else None,
                       longest=stats.tokens.max if stats and stats.tokens else None,
                       has_validation=bool(config.validation_file or config.validation_split))
        try:
            downloads = hub.local_path(config.base_model) is None
        except StudioError:
            downloads = False
        return LocalPlan(plan, hardware, downloads)
    except StudioError as exc:
        return LocalPlan(problem=str(exc))


def review_card(config: TrainingConfig, provider, *, account_name: str | None, data: DataFacts,
                cost: CostEstimate | None, local: LocalPlan | None = None) -> Card:
    """The review of ``config`` for the provider class ``provider``."""
    from backend.providers.base import CostKind

    here = provider.cost_kind is CostKind.THIS_COMPUTER
    plan = local.plan if local else None
    sections = [Section("What trains", tuple(_what(config, provider, account_name, here))),
                Section("On what data", tuple(_data(config, data, cost, here))),
                Section("Settings", tuple(_local_settings(config, plan, data) if plan else
                                          _hosted_settings(config, provider, data, cost, here))),
                Section("Where, how long, what it costs", tuple(
                    [Row("Runs", provider.where())]
                    + ([Row("Device", local.hardware.label)] if local and local.hardware else [])
                    + (_here_cost(local, cost) if here else _billed_cost(provider, cost))))]
    return Card(tuple(sections), provider.on_launch())


def _method(config: TrainingConfig, here: bool) -> str:
    method = "DPO on preference pairs" if config.method == "dpo" else "Supervised fine-tuning"
    if not here:
        return method
    adapter = config.options.get("adapter", "lora")
    return method + {"lora": " with LoRA (a small adapter; the base model stays as it is)",
                     "qlora": " with QLoRA (LoRA on a 4-bit base, least memory)",
                     "full": ", all weights"}.get(adapter, f" ({adapter})")


def _what(config, provider, account_name, here) -> list[Row]:
    rows = [Row("Base model", config.base_model, path=here and Path(config.base_model).is_absolute()),
            Row("Method", _method(config, here)),
            Row("Provider", provider.label + (f", account “{account_name}”" if account_name else ""))]
    if config.suffix:
        rows.append(Row("Name suffix", config.suffix))
    return rows


def _data(config: TrainingConfig, data: DataFacts, cost: CostEstimate | None, here: bool) -> list[Row]:
    from backend.data.tokens import tokenizer_words

    rows = [Row("Training data", config.training_file, path=True)]
    sizes, stats = data.training_examples(config), data.stats
    if sizes is None or stats is None:
        return rows + [Row("Examples", "not known: the data has not been checked")]
    trained, held = sizes
    left = [plural(stats.examples - stats.valid_examples, "invalid example") + " left out"
            if stats.examples > stats.valid_examples else "",
            plural(stats.duplicates, "duplicate") + " removed" if data.dedupe and stats.duplicates else ""]
    left = [part for part in left if part]
    rows.append(Row("Examples", f"{plural(trained, 'example')} to train on, of {stats.examples:,} read"
                    + (f" ({'; '.join(left)})" if left else "")))
    if config.validation_file:
        rows.append(Row("Held out", config.validation_file, path=True))
    elif held:
        rows.append(Row("Held out", f"{config.validation_split:.0%} ({plural(held, 'example')}) to measure "
                        f"progress on, chosen with seed {config.split_seed}"))
    else:
        rows.append(Row("Held out", "nothing: every example trains (no validation loss to watch)"))
    if cost is not None and cost.tokens_per_epoch:
        rows.append(Row("Tokens", f"about {cost.tokens_per_epoch:,} per epoch, counted with "
                        + tokenizer_words(stats.tokenizer, own_expected=here)))
    return rows


def _hosted_settings(config, provider, data: DataFacts, cost, here) -> list[Row]:
    hp, ranges, who = config.hyperparameters, provider.hyperparameter_ranges, provider.label
    sizes = data.training_examples(config)
    rows = []
    if hp.n_epochs != "auto":
        rows.append(Row("Epochs", f"{hp.n_epochs} (your choice)"))
    elif cost is not None and sizes is not None:
        rows.append(Row("Epochs", f"{cost.epochs} (chosen automatically for {plural(sizes[0], 'example')}, as "
                        f"{who} does)"))
    else:
        rows.append(Row("Epochs", f"chosen by {who} from the data"))
    if "batch_size" in ranges:
        rows.append(Row("Batch size", f"{hp.batch_size} (your choice)" if hp.batch_size != "auto"
                        else f"chosen by {who} from the data"))
    if "learning_rate_multiplier" in ranges:
        rows.append(Row("Learning-rate multiplier", f"{hp.learning_rate_multiplier:g} (your choice)"
                        if hp.learning_rate_multiplier != "auto" else f"chosen by {who} from the data"))
    if config.method == "dpo" and "beta" in ranges:
        rows.append(Row("Beta", f"{hp.beta:g} (your choice)" if isinstance(hp.beta, (int, float))
                        else f"chosen by {who}"))
    if config.seed is not None:
        rows.append(Row("Seed", str(config.seed)))
    return rows


def _yours(config: TrainingConfig, *names: str) -> bool:
    hp = config.hyperparameters.model_dump()
    return any(hp.get(n) not in (None, "auto") or n in config.options for n in names)


def _local_settings(config: TrainingConfig, plan: Plan, data: DataFacts) -> list[Row]:
    s = plan.settings
    sizes = data.training_examples(config)
    auto = " (chosen automatically"
    rows = [Row("Epochs", f"{s.epochs:g}" + (" (your choice)" if _yours(config, "n_epochs") else
                auto + (f" for {plural(sizes[0], 'example')})" if sizes else ")"))),
            Row("Learning rate", f"{s.learning_rate:.0e}" + (" (your choice)" if _yours(config, "learning_rate") else
                auto + (" for full weights)" if s.adapter == "full" else " for LoRA)"))),
            Row("Batch", f"{plural(s.batch_size, 'example')} per step × {s.gradient_accumulation_steps} "
                f"accumulated = {s.batch_size * s.gradient_accumulation_steps} per update"
                + ("" if _yours(config, "batch_size", "gradient_accumulation_steps") else auto + " to fit memory)")),
            Row("Maximum length", f"{s.max_length:,} tokens" + ("" if _yours(config, "max_length") else
                auto + " from the longest example)"))]
    if plan.total_steps:
        rows.append(Row("Updates", f"{plan.total_steps:,} in all; a checkpoint every {plural(s.save_steps, 'update')}, "
                        f"the last {s.save_total_limit} kept"))
    if s.adapter != "full":
        targets = s.lora_target_modules
        rows.append(Row("LoRA", f"rank {s.lora_r}, alpha {s.lora_alpha}, dropout {s.lora_dropout:g}, on "
                        + ("all linear layers" if targets == "all-linear" else ", ".join(targets))))
    precision = {"fp32": "32-bit floats", "bf16": "bfloat16", "fp16": "16-bit floats"}.get(s.precision, s.precision)
    rows.append(Row("Precision", precision + (", activation checkpointing (less memory, slower)"
                                              if s.activation_checkpointing else "")))
    if s.method == "supervised":
        rows.append(Row("Learns from", "the assistant's replies only" if s.assistant_only_loss
                        else "whole conversations (the model's template does not mark the replies)"))
    return rows


def _billed_cost(provider, cost: CostEstimate | None) -> list[Row]:
    if cost is None or not cost.tokens_per_epoch:
        return [Row("Cost", "not known until the data is checked")]
    tokens = f"about {cost.billed_tokens:,} ({plural(cost.epochs, 'epoch')} × {cost.tokens_per_epoch:,})"
    if cost.free:
        return [Row("Tokens trained", tokens),
                Row("Cost", f"nothing to pay: training with {provider.label} costs nothing per token")]
    rows = [Row("Billed tokens", tokens),
            Row("Time", f"set by {provider.label}'s queue and the data's size; Jobs shows the progress")]
    price = cost.price
    if price is None:
        return rows + [Row("Estimated price", f"not known for this model: see {provider.label}'s price list")]
    amount = f"${price.amount_usd:,.2f}" if price.amount_usd >= 0.005 else "less than a cent"
    return rows + [Row("Estimated price", f"{amount} at ${price.usd_per_million_tokens:g} per million "
                       f"tokens (prices as of {price.as_of}; check {provider.label}'s price list)")]


def _here_cost(local: LocalPlan | None, cost: CostEstimate | None) -> list[Row]:
    money = Row("Money", "nothing to pay: it runs on this computer")
    if local is None or local.plan is None:
        reason = local.problem if local and local.problem else "not known yet"
        return [Row("Time", reason), money]
    plan = local.plan
    rows = [Row("Time", (duration(plan.seconds) + " of training, plus loading the model")
                if plan.seconds else "known once the data is checked")]
    memory = f"about {plan.memory_needed / 2**30:.1f} GiB of {plan.memory_available / 2**30:.1f} GiB free"
    rows.append(Row("Memory", memory if plan.fits else memory + ". " + plan.warning, role="" if plan.fits else "warning"))
    rows.append(Row("Disk", f"about {size(plan.disk_needed)} for the checkpoints and the trained model"
                    + ("; the base model is downloaded first" if local.downloads else "")))
    return rows + [money]
