"""The assistant: speech, understanding, policy, pipeline and service, on top of ``vehicle``."""
