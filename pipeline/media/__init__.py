"""Media access: the one ffmpeg runner, ffprobe facts, filtergraph builders."""
