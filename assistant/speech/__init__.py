"""Speech in and out: audio files and devices, voice activity, faster-whisper, piper."""
