"""Speech recognition: the Transcriber protocol, the faster-whisper engine, model resolution and
verification, hallucination guards, glossary biasing and correction, and the transcript format.

Nothing here loads a model or imports faster-whisper at import time.
"""
