"""One frozen configuration, loaded once from a TOML file and the environment, passed down.

Every key, with its default, is documented in ``carvoice.example.toml``. Environment variables
override the file: ``CARVOICE_<SECTION>__<KEY>``, e.g. ``CARVOICE_VEHICLE__INTERFACE=socketcand``.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from assistant.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
"""The project's checkout (models/ and voices/ live here when run from source)."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class VehicleConfig(_Section):
    """How the assistant reaches the car."""

    interface: Literal["embedded", "virtual", "socketcand", "socketcan"] = "embedded"
    """``embedded``: the built-in simulator in this process; ``socketcand``: a shared bus such as
    ``carvoice sim``; ``socketcan``: a real head unit's CAN device."""
    channel: str = "can0"
    """socketcand bus name, SocketCAN device, or virtual channel."""
    host: str = "127.0.0.1"
    """socketcand server host."""
    port: int = Field(default=29536, ge=1, le=65535)
    """socketcand server TCP port."""
    timeout_s: float = Field(default=0.3, gt=0, le=10)
    """How long to wait for the status frame that confirms a command, in seconds."""
    retries: int = Field(default=1, ge=0, le=5)
    """Resends of a command that was not confirmed in time."""
    frame_log: Path | None = None
    """Write every frame to this candump-format log (for replay); off by default."""


class UnderstandingConfig(_Section):
    """How requests are understood."""

    mode: Literal["parser-first", "model-only", "parser-only"] = "parser-first"
    """``parser-first``: the deterministic parser, the model for the rest; ``model-only``: every
    request to the model (for comparison); ``parser-only``: never load the model."""
    model_path: Path = ROOT / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    """GGUF file of the local language model (a head unit with more memory may run a bigger one)."""
    threads: int = Field(default=2, ge=1, le=64)
    """CPU threads for the model."""
    context_tokens: int = Field(default=2048, ge=512, le=32768)
    """Model context window, in tokens."""
    max_tokens: int = Field(default=96, ge=16, le=512)
    """Longest model answer, in tokens."""
    model_wait_s: float = Field(default=120.0, ge=0)
    """How long a ``carvoice batch`` request that needs the model waits for it to start or restart, in
    seconds (the service waits ``service.model_wait_s``)."""
    deadline_s: float = Field(default=8.0, gt=0, le=120)
    """Longest one model call may take; past it the model's worker process is killed and restarted
    (``model-timeout``), in seconds."""
    start_timeout_s: float = Field(default=180.0, gt=0, le=1800)
    """Longest the model's worker may take to load the weights and evaluate the system prompt, in seconds."""
    confirm_model: bool = True
    """Ask before acting on what the language model understood ("Should I switch on the seat heating?"),
    acting on a yes; measured: on held-out sets the model's readings were more often wrong actions than right."""
    model_for_unclear: bool = False
    """Hand the model a request whose unclear part names a function of the car; default: ask the speaker to
    say it another way (measured: on held-out sets the model turned most of those into wrong actions)."""
    answer_format: Literal["compact", "json"] = "compact"
    """How the model writes tool calls: ``compact`` (``set_window(percent_open=100)``, fewer tokens to generate)
    or ``json``."""
    few_shot: int = Field(default=3, ge=0, le=10)
    """Examples from the project's paraphrase library put before each request the model gets (0: none)."""
    state_dir: Path | None = None
    """Where the model's evaluated system prompt is kept so that a restart skips evaluating it again
    (about 25 MB); None: ``$CACHE_DIRECTORY/model-state`` under systemd, else ``<checkout>/.cache/model-state``."""

    def state_folder(self) -> Path:
        """The folder in effect for ``state_dir``."""
        if self.state_dir is not None:
            return self.state_dir
        cache = os.environ.get("CACHE_DIRECTORY")
        return Path(cache.split(":")[0]) / "model-state" if cache else ROOT / ".cache" / "model-state"


class PolicyConfigSection(_Section):
    """Values of the safety rules."""

    seat_speed_limit_kmh: float = Field(default=5.0, ge=0, le=30)
    """Above this speed the driver's seat does not move or recline, in km/h."""


class SpeechConfig(_Section):
    """Speech in and out."""

    stt_engine: Literal["whisper", "moonshine"] = "whisper"
    """Recogniser: ``whisper`` (faster-whisper, ``stt_model``) or ``moonshine`` (Moonshine base, English, the
    files moonshine-cpp ships; it gives no confidence scores, so its transcripts count as unsure: asked about when
    not fully understood, never acted on early). README "Choosing the recogniser" compares them."""
    engines_in_worker: bool = True
    """Run speech-to-text and text-to-speech each in its own supervised process, so that a crash or a hang in
    CTranslate2 or onnxruntime costs one request (``stt-crashed``, ``stt-timeout``), not the assistant; measured at
    no latency cost (README "Reliability"); False: both in the service's own process (about 400 MiB less)."""
    engine_deadline_s: float = Field(default=10.0, gt=0.5, le=120)
    """With ``engines_in_worker``: a transcription or a synthesis taking longer is killed (``stt-timeout``)."""
    stt_model: Path = ROOT / "models" / "whisper-base"
    """faster-whisper (CTranslate2) model directory: ``whisper-base`` (default) or ``whisper-tiny.en``."""
    stt_threads: int = Field(default=2, ge=1, le=64)
    """CPU threads for speech-to-text."""
    beam_size: int = Field(default=5, ge=1, le=10)
    """Whisper beam size: 5 cut the word error rate on 331 spoken paraphrases from 19.4 % to 15.4 %
    for about 50 ms more per command."""
    trim_window: bool = True
    """Encode the utterance plus a margin instead of Whisper's 30 s window of padding (whisper.cpp's
    ``audio_ctx``): several times faster; a transcript that looks wrong is redone with the full window."""
    stt_prompt: str | None = None
    """Words that prime Whisper for this car's vocabulary; None: the language data's ``[recogniser] prompt``."""
    max_utterance_s: float = Field(default=15.0, gt=1, le=29)
    """Longest utterance taken as a command, in seconds (a monologue is not a command; Whisper hears
    at most 30 s at once)."""
    end_silence_s: float = Field(default=0.5, gt=0.1, le=3)
    """Silence that ends an utterance when listening live, in seconds."""
    pause_s: float = Field(default=0.2, ge=0.05, le=1)
    """Silence after which a complete, sure transcript may end the utterance (early end), in seconds."""
    early_start_s: float = Field(default=0.1, ge=0.03, le=1)
    """Silence after which the audio so far is transcribed in the background, in seconds: shorter than
    ``pause_s``, so that the transcript is ready soon after the pause (it is dropped if the speaker goes on)."""
    early_end: bool = True
    """Act on the transcript made at that pause, without waiting out the end silence, when it is a
    complete request the recogniser was sure of."""
    hanging_silence_s: float = Field(default=1.5, gt=0.1, le=5)
    """Silence that ends an utterance left hanging ("set the temperature to ..."), in seconds."""
    hypotheses: int = Field(default=4, ge=1, le=10)
    """Readings asked of the recogniser (its beam's n-best), of which the understanding picks."""
    rescore: bool = True
    """Choose among the recogniser's readings the one the understanding accounts for best."""
    confirm_doubt: bool = True
    """Ask before acting on a transcript the recogniser was unsure of ("Did you want me to ...?")."""
    voice: str = "en_US-joe-medium"
    """piper voice: a name found in ``voice_dirs`` or a path to an ``.onnx`` file."""
    voice_dirs: list[Path] = [ROOT / "voices", Path("/usr/share/carvoice/voices")]
    """Folders searched for piper voices."""
    input_device: str | None = None
    """Microphone, by (part of its) sounddevice name; None: the system default."""
    output_device: str | None = None
    """Speaker, by (part of its) sounddevice name; None: the system default."""
    save_audio_dir: Path | None = None
    """Keep the spoken replies as WAV files here; off by default (nothing is written to disk)."""
    wake_word: Literal["off", "okay_nabu", "hey_jarvis", "hey_mycroft", "alexa"] = "off"
    """Start listening on a spoken phrase as well as on push-to-talk: ``off`` or a bundled microWakeWord model
    (``okay_nabu``, ``hey_jarvis``, ``hey_mycroft``, ``alexa``); measured in ``carvoice bench --section wake``."""
    wake_threshold: float | None = Field(default=None, gt=0, lt=1)
    """Detection threshold of the wake word (higher: fewer false accepts, more missed phrases); None: the one
    measured for the phrase (``assistant/speech/wake.py``)."""
    wake_refractory_s: float = Field(default=2.0, ge=0, le=30)
    """After a detection the phrase is not detected again for this long, in seconds."""
    wake_seat: Literal["driver", "passenger", "rear-left", "rear-right"] = "driver"
    """The seat a wake-word request speaks from: the seat the microphone serves (one microphone: the driver's)."""


class MqttConfig(_Section):
    """The broker the car's screens listen to."""

    enabled: bool = True
    """Connect to a broker (the service keeps working while it is away)."""
    host: str = "127.0.0.1"
    """Broker host."""
    port: int = Field(default=1883, ge=1, le=65535)
    """Broker port (8883 is the usual TLS port)."""
    vehicle_id: str = Field(default="car1", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    """Topic level naming this vehicle: ``carvoice/<vehicle_id>/...``."""
    topic_prefix: str = Field(default="carvoice", pattern=r"^[A-Za-z0-9_/-]{1,64}$")
    """First topic levels."""
    username: str | None = None
    """Broker user name."""
    password_file: Path | None = None
    """File holding the broker password (kept out of the config file)."""
    password: str | None = None
    """Broker password (prefer ``password_file`` or ``CARVOICE_MQTT__PASSWORD``)."""
    tls: bool = False
    """Connect with TLS."""
    ca_file: Path | None = None
    """CA certificate that signed the broker's certificate."""
    queue_size: int = Field(default=1000, ge=10, le=100000)
    """Events kept while the broker is away; the oldest are dropped beyond this."""
    max_payload_bytes: int = Field(default=16384, ge=256, le=1048576)
    """Larger command payloads are logged and dropped."""


class ServiceConfig(_Section):
    """The long-running service."""

    console: bool = True
    """Read typed commands from standard input when it is a terminal or a pipe."""
    microphone: bool = True
    """Listen on push-to-talk when an input device exists (off: text only)."""
    speaker: bool = True
    """Play replies on the output device when one exists."""
    listen_timeout_s: float = Field(default=6.0, gt=0.5, le=60)
    """How long to wait for speech to start after push-to-talk, in seconds."""
    model_wait_s: float = Field(default=1.0, ge=0, le=120)
    """How long a request that needs the language model waits while it starts or restarts, in seconds;
    then it is answered at once (``model-unavailable``) so the requests behind it are not held up."""


class WebConfig(_Section):
    """The cabin in a browser: a live page of the car and the conversation, served by ``carvoice run``."""

    enabled: bool = True
    """Serve the page (on loopback unless ``host`` says otherwise)."""
    host: str = Field(default="127.0.0.1", min_length=1, max_length=253)
    """Address to listen on; any address other than loopback needs a ``token``."""
    port: int = Field(default=8780, ge=1, le=65535)
    """TCP port of the page."""
    token: str | None = Field(default=None, min_length=16, max_length=256, pattern=r"^[A-Za-z0-9._~-]+$")
    """Shared secret every request must carry (``?token=``, ``Authorization: Bearer``, or the cookie the
    page sets); required when ``host`` is not loopback (prefer ``CARVOICE_WEB__TOKEN``)."""
    max_clients: int = Field(default=8, ge=1, le=100)
    """Pages connected at once; more are refused until one closes."""
    queue_size: int = Field(default=256, ge=16, le=10000)
    """Events waiting for one page; a page that falls this far behind is sent a fresh snapshot instead."""
    max_body_bytes: int = Field(default=4096, ge=256, le=65536)
    """Larger requests from the page are refused (413)."""


class PlacesConfig(_Section):
    """Offline destinations."""

    pois: Path | None = None
    """CSV of points of interest (name, category, latitude, longitude); default: the bundled copy of the spec's."""


class Settings(BaseSettings):
    """The whole configuration."""

    model_config = SettingsConfigDict(env_prefix="CARVOICE_", env_nested_delimiter="__", extra="forbid", frozen=True,
                                      use_attribute_docstrings=True)

    language: Literal["en"] = "en"
    """Language of speech and replies (only English so far)."""
    vehicle: VehicleConfig = VehicleConfig()
    understanding: UnderstandingConfig = UnderstandingConfig()
    policy: PolicyConfigSection = PolicyConfigSection()
    places: PlacesConfig = PlacesConfig()
    speech: SpeechConfig = SpeechConfig()
    mqtt: MqttConfig = MqttConfig()
    service: ServiceConfig = ServiceConfig()
    web: WebConfig = WebConfig()

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # environment first, then the TOML file (passed as init values)
        return env_settings, init_settings

    def pois_path(self) -> Path:
        """The points-of-interest file in effect."""
        if self.places.pois is not None:
            return self.places.pois
        return Path(__file__).resolve().parent / "data" / "pois.csv"


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Settings from a TOML file (optional), the environment and explicit overrides."""
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text())
        except OSError as err:
            raise ConfigError(f"cannot read config {path}: {err}") from err
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(f"config {path} is not valid TOML: {err}") from err
    for dotted, value in overrides.items():
        section, _, key = dotted.partition(".")
        if key:
            data.setdefault(section, {})[key] = value
        else:
            data[section] = value
    try:
        return Settings(**data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"invalid config {where}: {first['msg']}") from err


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Path):
        value = str(value).replace(str(ROOT), "<checkout>")
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return str(value)


def render_example() -> str:
    """Every configuration key with its default and its documentation, as TOML."""
    lines = [
        "# carvoice configuration: every key, with its default. Copy what you change to",
        "# /etc/carvoice/carvoice.toml (or pass --config FILE). Environment variables override the file:",
        "# CARVOICE_<SECTION>__<KEY>, e.g. CARVOICE_MQTT__HOST=10.0.0.2. <checkout> is where carvoice is installed.",
        "",
    ]
    defaults = Settings()
    for name, field in Settings.model_fields.items():
        value = getattr(defaults, name)
        if isinstance(value, BaseModel):
            continue
        lines += [f"# {field.description or ''}", f"{name} = {_toml_value(value)}", ""]
    for name, field in Settings.model_fields.items():
        section = getattr(defaults, name)
        if not isinstance(section, BaseModel):
            continue
        lines.append(f"[{name}]")
        for key, sub in type(section).model_fields.items():
            value = getattr(section, key)
            for doc_line in (sub.description or "").splitlines():
                lines.append(f"# {doc_line.strip()}")
            if value is None:
                lines.append(f"# {key} =  (not set)")
            else:
                lines.append(f"{key} = {_toml_value(value)}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
