"""The language model's worker process: ``python -m assistant.understanding.model_worker``.

Started and supervised by ``ModelClient`` (``assistant/workers.py`` has the protocol). It loads
the GGUF weights, compiles and checks the answer grammar, evaluates the fixed system prompt
once (the ``warm`` request), and only then says it is ready. llama.cpp's own output (model
metadata, the chat template, timings) goes to stderr, which the parent logs at DEBUG.

Evaluating the system prompt is most of a start (about 12 of 16 s on two cores), and a
restart after a crash pays it again. So the evaluated prompt (llama.cpp's state after the
warm request: its KV cache, about 25 MB) is saved to ``state_dir`` under a key of the model
file, the prompt, the context size and the library version, and restored on the next start.
A start that follows a failed one (``retry`` > 0) ignores the saved state, so a bad file
cannot keep the worker from starting.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import logging
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.workers import FatalSetupError, Handler, serve

_LOG = logging.getLogger("assistant.model_worker")
_MAGIC = b"carvoice-llama-state-1\n"


def setup(init: dict[str, Any]) -> dict[str, Handler]:
    """Load the model and return the ``complete`` handler."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    path = Path(init["model"])
    if not path.exists():
        raise FatalSetupError(f"model file {path} is missing (run: make models)")
    try:
        from llama_cpp import Llama, LlamaGrammar
    except ImportError as err:
        raise FatalSetupError("llama-cpp-python is not installed (make setup)") from err
    from assistant.errors import ModelError
    from assistant.understanding.model import build_grammar

    try:
        grammar = (LlamaGrammar.from_string(init["grammar"], verbose=False) if init.get("grammar")
                   else build_grammar(LlamaGrammar, init.get("schema"), init.get("require")))
    except ModelError as err:
        raise FatalSetupError(str(err)) from err
    try:
        llm = Llama(model_path=str(path), n_ctx=int(init.get("context", 2048)), n_threads=int(init.get("threads", 2)),
                    n_batch=512, verbose=True)  # verbose: its report goes to stderr, i.e. the parent's DEBUG log
    except (ValueError, RuntimeError, OSError) as err:
        raise FatalSetupError(f"cannot load {path}: {err}") from err
    llm.verbose = False  # no timing report after each completion

    def complete(header: dict[str, Any], _blob: bytes) -> Iterator[tuple[dict[str, Any], bytes]]:
        started = time.perf_counter()
        out = llm.create_chat_completion(messages=header["messages"], grammar=grammar,
                                         max_tokens=int(header.get("max_tokens", 96)), temperature=0.0)
        usage = out.get("usage", {})
        yield {"text": str(out["choices"][0]["message"]["content"] or ""),
               "prompt_tokens": int(usage.get("prompt_tokens", 0)),
               "completion_tokens": int(usage.get("completion_tokens", 0)),
               "ms": (time.perf_counter() - started) * 1000}, b""

    if init.get("warm"):
        # evaluate the fixed prefix once; later requests reuse it and evaluate only their own tokens
        state_file = _state_file(init, path)
        if state_file is None or int(init.get("retry", 0)) > 0 or not _restore(llm, state_file):
            list(complete({"messages": init["warm"], "max_tokens": 24}, b""))
            if state_file is not None:
                _save(llm, state_file)
    return {"complete": complete}


def _state_file(init: dict[str, Any], model: Path) -> Path | None:
    folder = init.get("state_dir")
    if not folder:
        return None
    import llama_cpp

    st = model.stat()
    key = json.dumps([str(model.resolve()), st.st_size, st.st_mtime_ns, init.get("warm"), init.get("context"),
                      llama_cpp.__version__], sort_keys=True)
    return Path(folder) / f"prompt-{hashlib.sha256(key.encode()).hexdigest()[:16]}.state"


def _save(llm: Any, file: Path) -> None:
    """Write the evaluated prompt atomically: header line, SHA-256 line, llama.cpp's state bytes."""
    import llama_cpp

    try:
        size = llama_cpp.llama_state_get_size(llm._ctx.ctx)
        buf = (ctypes.c_uint8 * int(size))()
        used = int(llama_cpp.llama_state_get_data(llm._ctx.ctx, buf, size))
        data = bytes(buf)[:used]
        header = json.dumps({"n_tokens": int(llm.n_tokens), "ids": [int(t) for t in llm.input_ids[: llm.n_tokens]]})
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_suffix(f".tmp{os.getpid()}")
        tmp.write_bytes(_MAGIC + header.encode() + b"\n" + hashlib.sha256(data).hexdigest().encode() + b"\n" + data)
        tmp.replace(file)
        _LOG.info("saved the evaluated prompt (%d tokens, %.1f MB) to %s", llm.n_tokens, used / 1e6, file)
    except (OSError, RuntimeError, ValueError) as err:
        _LOG.warning("could not save the evaluated prompt to %s: %s", file, err)


def _restore(llm: Any, file: Path) -> bool:
    """Load a saved prompt evaluation; False (and the file removed) when it is missing or damaged."""
    import llama_cpp

    try:
        raw = file.read_bytes()
    except OSError:
        return False
    try:
        if not raw.startswith(_MAGIC):
            raise ValueError("not a carvoice state file")
        header, digest, data = raw[len(_MAGIC):].split(b"\n", 2)
        if hashlib.sha256(data).hexdigest().encode() != digest:
            raise ValueError("checksum mismatch")
        meta = json.loads(header)
        n, ids = int(meta["n_tokens"]), meta["ids"]
        if len(ids) != n or n > llm.n_ctx():
            raise ValueError("token count does not fit")
        buf = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
        if int(llama_cpp.llama_state_set_data(llm._ctx.ctx, buf, len(data))) != len(data):
            raise ValueError("llama.cpp did not take the state")
    except (ValueError, KeyError, TypeError) as err:
        _LOG.warning("ignoring the saved prompt %s: %s", file, err)
        file.unlink(missing_ok=True)
        return False
    llm.input_ids[:n] = ids
    llm.n_tokens = n
    llm._requires_eval = True
    _LOG.info("restored the evaluated prompt (%d tokens) from %s", n, file)
    return True


if __name__ == "__main__":
    sys.exit(serve(setup))
