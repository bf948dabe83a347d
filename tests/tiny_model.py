"""Build a tiny chat model offline (BPE tokenizer + 2-layer Llama), for tests and benchmarks.

About 3 MB, built in seconds: a byte-level BPE trained with ``tokenizers`` on generated text,
wrapped as ``PreTrainedTokenizerFast`` with a ChatML template whose assistant turns are marked
with ``{% generation %}`` (so TRL can train on assistant tokens only), and a random LlamaConfig.
"""

from __future__ import annotations

import random
from pathlib import Path

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'assistant' %}"
    "{{ '<|im_start|>assistant\n' }}{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}{{ '\n' }}"
    "{% else %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

WORDS = ("the a capital of is what how many paris france rome italy berlin germany madrid spain two three "
         "four five plus minus equals hello hi thanks please answer question model train data loss step "
         "colour blue red green sky grass sun yes no maybe cat dog bird fish water fire earth air").split()


def sample_chats(n: int = 300, seed: int = 0) -> list[dict]:
    """Short question/answer chats the tiny model can learn by heart."""
    rng = random.Random(seed)
    facts = [("What is the capital of France?", "Paris."), ("What is the capital of Italy?", "Rome."),
             ("What is the capital of Germany?", "Berlin."), ("What is the capital of Spain?", "Madrid."),
             ("What colour is the sky?", "Blue."), ("What colour is grass?", "Green."),
             ("What is two plus two?", "Four."), ("What is three plus two?", "Five.")]
    chats = []
    for i in range(n):
        q, a = facts[i % len(facts)]
        messages = []
        if rng.random() < 0.3:
            messages.append({"role": "system", "content": "You answer in one word."})
        messages += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
        chats.append({"messages": messages})
    return chats


def build_tiny_model(folder: Path | str, *, vocab_size: int = 2000, hidden_size: int = 128, layers: int = 2,
                     with_chat_template: bool = True) -> Path:
    """Write a tokenizer and a randomly initialised Llama model to ``folder``; return it."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(1)
    corpus = [" ".join(rng.choice(WORDS) for _ in range(12)) for _ in range(2000)]
    corpus += [m["content"] for c in sample_chats(64) for m in c["messages"]]
    special = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|pad|>"]

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=special,
                                                        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<|endoftext|>", eos_token="<|im_end|>",
                                        pad_token="<|pad|>", unk_token="<|endoftext|>")
    if with_chat_template:
        tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(folder)

    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=hidden_size, intermediate_size=hidden_size * 2,
                         num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=512, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
                         tie_word_embeddings=True)
    import torch

    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder)
    return folder
