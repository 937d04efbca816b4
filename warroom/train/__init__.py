"""The training path: SFT export of expert trajectories, the GRPO environment for TRL, and the
dataset and curriculum builder. Heavy packages (torch, transformers, trl, datasets) are imported
only inside the functions that need them (the ``train`` extra).

- ``sft.export_sft``: scripted-policy episodes as chat JSONL with tool calls.
- ``grpo.WarroomEnv`` / ``grpo.make_env_class``: ``GRPOTrainer(environment_factory=...)``.
- ``datasets.scenario_rows`` / ``datasets.curriculum_rows``: the rows that drive it.
- ``tiny``: a tiny random Qwen2-style model and tokenizer for offline smoke tests.
"""
