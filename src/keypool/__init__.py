"""Silicon Key Pool: a key pool and OpenAI-compatible gateway for SiliconFlow keys."""
