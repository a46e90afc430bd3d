"""The programme manifest: what an editor writes in YAML, validated with errors that name the field.

A manifest says which footage belongs to a programme, how it is cut (a list of clip in/out points,
or one finished master from the NLE), and everything the later stages need: titles and synopses in
Vietnamese and English, glossary, branding, lower thirds, deliverables and credits. Paths are
resolved against the manifest's own folder and may not escape it.

A `Programme` owns its clips (`Programme.clips`, the master included) and its house format
(`Programme.house`), so every stage asks it, not another stage. Reading a manifest from disk
(`pipeline.validate.load_manifest`) sits beside the checks it runs, which use the types here: the
types know nothing of their validation.
"""

from __future__ import annotations

import functools
import glob as globlib
import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from .errors import ManifestError
from .fsutil import nfc
from .media.extensions import MEDIA_EXTS
from .media.ingest_args import House
from .profiles import programme_profile
from .publish.social.platforms import DEFAULT_SOCIAL_PLATFORMS, PLATFORMS
from .timecode import parse_rate
from .workspace import segment_problem, shown

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MASTER_CLIP_ID = "master"
"""The clip id of a `master:` timeline's finished file among the programme's clips (`Programme.clips`)."""
_CLIP_ID_FIX = "a clip id names the clip's folder in the workspace: use letters, digits, spaces, '-' or '_'"


def check_clip_id(value: str) -> str:
    """`value` when it can name a clip (one clean file name: no path, no `..`, no leading dot, no
    control character); ValueError saying why not. Ids become folders of the workspace."""
    problem = segment_problem(value)
    if problem is not None:
        raise ValueError(f"{value[:80]!r} is not a usable clip id: it {problem}; {_CLIP_ID_FIX}")
    return value


def _deliverable_name(value: str) -> str:
    if not _ID_RE.match(value):
        raise ValueError(f"{value[:80]!r} is not a deliverable name: use lower-case letters, digits, "
                         "'-' or '_' (it names a profile and the folder of its renders)")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bilingual(_Strict):
    """A text an audience reads, in Vietnamese and English."""

    vi: str
    en: str

    @field_validator("vi", "en")
    @classmethod
    def _nfc(cls, value: str) -> str:
        return nfc(value.strip())


class HouseFormat(_Strict):
    """The working format every clip is conformed to before it is cut."""

    width: int = Field(1920, ge=16, le=8192)
    height: int = Field(1080, ge=16, le=8192)
    fps: str = "25"
    sample_rate: int = Field(48000, ge=8000, le=192000)

    @field_validator("fps", mode="before")
    @classmethod
    def _quoted(cls, value: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            raise ValueError(f'{value} is read by YAML as a number; write the frame rate in quotes: fps: "{value}"')
        return value

    @field_validator("fps")
    @classmethod
    def _rate(cls, value: Any) -> str:
        rate = parse_rate(str(value))
        if rate <= 0 or rate > 120:
            raise ValueError(f"{value} is not a usable frame rate")
        return str(value)

    @property
    def rate(self) -> Fraction:
        return parse_rate(self.fps)


class FootageEntry(_Strict):
    """One source file with an explicit clip id, or a glob of files (clip id = file name stem)."""

    file: str | None = None
    glob: str | None = None
    id: str | None = None

    @field_validator("id")
    @classmethod
    def _clip_id(cls, value: str | None) -> str | None:
        if value is not None:
            check_clip_id(value)
        return value

    @model_validator(mode="after")
    def _one_of(self) -> FootageEntry:
        if (self.file is None) == (self.glob is None):
            raise ValueError("give exactly one of `file` or `glob`")
        if self.glob is not None and self.id is not None:
            raise ValueError("`id` names one file; it cannot be used with `glob`")
        return self


class CutSpec(_Strict):
    """One event of the edit: a clip from `in` to `out` (source timecode from the clip's start)."""

    clip: str
    in_: str = Field(alias="in")
    out: str

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("clip")
    @classmethod
    def _clip_id(cls, value: str) -> str:
        return check_clip_id(value)


EditFormat = Literal["fcp7xml", "fcpxml", "otio", "edl"]


class TimelineSpec(_Strict):
    """One of: a finished `master` file, a `cut` list, or an `edit` exported by the NLE (FCP7 XML,
    FCPXML, OTIO or CMX3600 EDL; `format` when the file's extension does not say which)."""

    master: str | None = None
    cut: list[CutSpec] | None = None
    edit: str | None = None
    format: EditFormat | None = None

    @model_validator(mode="after")
    def _one_of(self) -> TimelineSpec:
        given = [name for name in ("master", "cut", "edit") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of `master` (a finished edit), `cut` (a list of clips) "
                             "or `edit` (an FCP7 XML, FCPXML, OTIO or EDL file from the NLE)")
        if self.cut is not None and not self.cut:
            raise ValueError("`cut` is empty")
        if self.format is not None and self.edit is None:
            raise ValueError("`format` applies only to an `edit` file")
        return self


class BrandingSpec(_Strict):
    logo: str | None = None
    position: Literal["top-left", "top-right", "bottom-left", "bottom-right"] = "top-right"
    opacity: float = Field(0.85, ge=0.0, le=1.0)


class LowerThird(_Strict):
    """A caption naming an interviewee: name, title in both languages, and when it shows."""

    name: str
    title: Bilingual
    at: str
    duration_s: float = Field(5.0, gt=0.5, le=30)

    @field_validator("name")
    @classmethod
    def _nfc(cls, value: str) -> str:
        return nfc(value.strip())


class Credit(_Strict):
    role: Bilingual
    name: str


def _social_platform(value: str) -> str:
    if value not in PLATFORMS:
        raise ValueError(f"{value[:80]!r} is not a social platform the package knows (known: {', '.join(PLATFORMS)})")
    return value


class SocialCut(_Strict):
    """The excerpt of the programme (programme timecode) that becomes the vertical social cut, its
    own title (the programme's when not given: an excerpt is often about one part of it), and the
    platforms the social package is made for. `youtube` is the whole programme (landscape, with
    chapters); every other platform takes the cut. Not given: YouTube and every vertical platform
    plus Zalo (`platforms.DEFAULT_SOCIAL_PLATFORMS`), so a manifest written before platforms were named keeps
    its package."""

    start: str = Field(alias="in")
    end: str = Field(alias="out")
    title: Bilingual | None = None
    platforms: list[Annotated[str, AfterValidator(_social_platform)]] | None = None
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("platforms")
    @classmethod
    def _platforms(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("lists no platform: leave `platforms:` out for the default "
                             f"({', '.join(DEFAULT_SOCIAL_PLATFORMS)})")
        twice = sorted({key for key in value if value.count(key) > 1})
        if twice:
            raise ValueError(f"lists {', '.join(twice)} more than once: name each platform once")
        return value

    @property
    def platform_keys(self) -> tuple[str, ...]:
        """The platforms to make the package for: as given, or the default."""
        return tuple(self.platforms) if self.platforms is not None else DEFAULT_SOCIAL_PLATFORMS


class TranslationSettings(_Strict):
    """Who drafts the English the script lacks. Default: the local language model (`llama`), which
    falls back to Whisper's translate task with a warning when it cannot load. Whisper's translate
    task is no default: measured on the development set it invents YouTube lines ("Please subscribe
    to the…") over interview answers, and its chrF is 11.7 against the local model's 45.9."""

    backend: Literal["whisper", "llama", "argos", "ct2", "llm", "sheet"] = "llama"
    options: dict[str, Any] = Field(default_factory=dict)


class AsrSpec(_Strict):
    """Which recogniser turns the programme's speech into words (README: "Recognition")."""

    engine: Literal["vietctc", "whisper", "combined"] = "vietctc"
    script_timing: Literal["ctc", "words"] | None = None
    """How script sentences are timed: `ctc`, forced alignment on the CTC model's posteriors; `words`,
    by the recognised words alone. Default: `ctc` unless the engine is Whisper (a department that
    keeps to Whisper keeps the CTC model unread)."""

    @property
    def forced_script_timing(self) -> bool:
        if self.script_timing is not None:
            return self.script_timing == "ctc"
        return self.engine != "whisper"


class Manifest(_Strict):
    """The YAML document as written; see `Programme` for the resolved, ready-to-use form."""

    id: str
    title: Bilingual | None = None
    synopsis: Bilingual | None = None
    language: str = "vi"
    year: int | None = Field(None, ge=1990, le=2100)
    house: HouseFormat = HouseFormat()  # type: ignore[call-arg]
    footage: list[str | FootageEntry]
    timeline: TimelineSpec | None = None
    glossary: str | None = None
    script: str | None = None
    branding: BrandingSpec = BrandingSpec()  # type: ignore[call-arg]
    lower_thirds: list[LowerThird] = Field(default_factory=list)
    deliverables: list[Annotated[str, AfterValidator(_deliverable_name)]] = Field(default_factory=list)
    social: SocialCut | list[SocialCut] | None = None
    credits: list[Credit] = Field(default_factory=list)
    co_producers: list[str] = Field(default_factory=list)
    translation: TranslationSettings = TranslationSettings()  # type: ignore[call-arg]
    asr: AsrSpec = AsrSpec()

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ID_RE.match(value):
            raise ValueError(f"{value[:80]!r} must be lower-case letters, digits, '-' or '_' "
                             "(it names folders and files)")
        return value

    @field_validator("footage")
    @classmethod
    def _footage(cls, value: list[str | FootageEntry]) -> list[str | FootageEntry]:
        if not value:
            raise ValueError("lists no footage")
        return value

    @field_validator("social")
    @classmethod
    def _social(cls, value: SocialCut | list[SocialCut] | None) -> SocialCut | list[SocialCut] | None:
        if isinstance(value, list) and not value:
            raise ValueError("lists no excerpt: leave `social:` out, or give one `{in, out}` or a list of them")
        return value


def excerpt_deliverable(name: str, cut: int) -> str:
    """The deliverable of excerpt profile `name` for cut `cut` (0-based) of several: the first
    keeps the profile's name (so its renders, records and approvals stay where they were), the
    others are `name-2`, `name-3` …"""
    return name if cut == 0 else f"{name}-{cut + 1}"


_REQUIRED_HINTS = {
    "timeline": "add `timeline: {cut: [...]}` (or `timeline: {master: FILE}`) once the edit exists",
    "title": 'add `title: {vi: "…", en: "…"}`',
    "synopsis": 'add `synopsis: {vi: "…", en: "…"}`',
    "deliverables": "add e.g. `deliverables: [broadcast-xdcam, web-1080p, social-9x16]`",
    "footage": "add `footage:` with the files or globs of the programme's clips",
}


@dataclass(frozen=True)
class SourceClip:
    """A footage file of the programme, with the clip id the rest of the pipeline uses."""

    clip_id: str
    path: Path
    declared_as: str


@dataclass(frozen=True)
class Programme:
    """A loaded manifest: the validated document plus where it lives and its resolved footage."""

    manifest: Manifest
    manifest_path: Path

    @property
    def id(self) -> str:
        return self.manifest.id

    @property
    def base_dir(self) -> Path:
        return self.manifest_path.parent

    @property
    def rate(self) -> Fraction:
        return self.manifest.house.rate

    @property
    def house(self) -> House:
        """The working format every clip is conformed to, as the media code takes it (exact rate):
        ingest decides and conform makes each working copy in it."""
        h = self.manifest.house
        return House(h.width, h.height, h.rate, h.sample_rate)

    def resolve(self, relative: str, field: str) -> Path:
        """A manifest path made absolute against the manifest's folder; refuse one that escapes it.
        A file stored under another Unicode form of its name (macOS keeps names decomposed) is found."""
        return resolve_inside(self.base_dir, relative, self.manifest_path, field)

    def sources(self) -> list[SourceClip]:
        """Every footage file, globs expanded in name order; clip ids unique. Missing files stay listed
        so ingest can report each one; a glob that matches nothing is a ManifestError naming it."""
        clips: list[SourceClip] = []
        seen: dict[str, str] = {}
        for index, entry in enumerate(self.manifest.footage):
            field = f"footage[{index}]"
            if isinstance(entry, str):
                entry = FootageEntry(glob=entry) if globlib.has_magic(entry) else FootageEntry(file=entry)
            if entry.file is not None:
                path = self.resolve(entry.file, field)
                clips.append(self._clip(entry.id or clip_id_for(path), path, entry.file, field))
            else:
                assert entry.glob is not None
                matched = glob_footage(resolve_inside(self.base_dir, entry.glob, self.manifest_path, field,
                                                      on_disk=False))
                matches = [p for p in matched if p.suffix.lower() in MEDIA_EXTS]
                if not matches:
                    found = f" ({len(matched)} other files: none video or audio)" if matched else ""
                    raise ManifestError(f"{field}: the glob {entry.glob!r} matches no footage{found}",
                                        path=self.manifest_path,
                                        hint="correct the pattern, or take the entry out until its files are there")
                for path in matches:
                    clips.append(self._clip(clip_id_for(path), path, entry.glob, field))
        for clip in clips:
            if clip.clip_id in seen and seen[clip.clip_id] != str(clip.path):
                raise ManifestError(
                    f"footage: two files have the clip id {clip.clip_id!r} ({seen[clip.clip_id]} and {clip.path})",
                    path=self.manifest_path,
                    hint="give one of them an explicit `id:`",
                )
            seen[clip.clip_id] = str(clip.path)
        unique = {c.clip_id: c for c in clips}
        return list(unique.values())

    def clips(self) -> list[SourceClip]:
        """Every clip of the programme: the footage (`sources`) plus, for a `master:` timeline, the
        master itself as clip `MASTER_CLIP_ID`. What ingest, transcription and the delivery package
        each go through, so all of them know the same clips."""
        sources = self.sources()
        master = self.master_path()
        if master is not None:
            sources = [s for s in sources if s.path != master]
            sources.append(SourceClip(MASTER_CLIP_ID, master, "timeline.master"))
        return sources

    @property
    def social_cuts(self) -> tuple[SocialCut, ...]:
        """The social excerpts, in manifest order: none, the one mapping, or each of a list."""
        social = self.manifest.social
        if social is None:
            return ()
        return tuple(social) if isinstance(social, list) else (social,)

    @functools.cached_property
    def _deliverable_map(self) -> dict[str, tuple[str, int | None]]:
        """Each deliverable → (its profile, its cut when it is one of several excerpts). Profiles are
        read only when there are several cuts: with none or one the names are the manifest's own.
        A profile that does not load stays one deliverable: the stage that uses it reports why."""
        cuts = len(self.social_cuts)
        out: dict[str, tuple[str, int | None]] = {}
        for name in self.manifest.deliverables:
            if cuts >= 2 and self._is_excerpt(name):
                out.update({excerpt_deliverable(name, k): (name, k) for k in range(cuts)})
            else:
                out[name] = (name, None)
        return out

    def _is_excerpt(self, profile: str) -> bool:
        try:
            return programme_profile(self.base_dir, profile).excerpt
        except ManifestError:  # a ProfileError too
            return False

    @property
    def deliverables(self) -> tuple[str, ...]:
        """The deliverables every stage makes, judges and ships: the manifest's, in order, each
        excerpt profile followed by one deliverable per further social cut (`excerpt_deliverable`)."""
        return tuple(self._deliverable_map)

    def deliverable_profile(self, name: str) -> str:
        """The profile deliverable `name` is made with (`social-9x16` for `social-9x16-2`)."""
        return self._deliverable_map.get(name, (name, None))[0]

    def deliverable_cut(self, name: str) -> int | None:
        """The index into `social_cuts` of excerpt deliverable `name`; None for a deliverable of the
        whole programme, or an excerpt profile when the manifest gives no `social:`."""
        profile, cut = self._deliverable_map.get(name, (name, None))
        if cut is not None or len(self.social_cuts) != 1:
            return cut
        return 0 if self._is_excerpt(profile) else None

    def _clip(self, clip_id: str, path: Path, declared_as: str, field: str) -> SourceClip:
        """A source with its clip id, which must be one clean file name (a file `..mov` gives `.`)."""
        problem = derived_id_problem(field, path, clip_id)
        if problem is not None:
            raise ManifestError(problem, path=self.manifest_path)
        return SourceClip(clip_id, path, declared_as)

    def given(self, name: str) -> bool:
        """Whether the manifest gives the top-level field `name` (an empty list is not given)."""
        value = getattr(self.manifest, name)
        return value is not None and value != []

    def require(self, fields: Sequence[str], stage: str) -> None:
        """ManifestError naming the file and the first of `fields` the manifest leaves out.

        Rushes arrive before the edit exists: ingest and transcribe need only `id` and `footage`;
        the timeline, titles and synopsis are asked for by the stages that use them.
        """
        for name in fields:
            if not self.given(name):
                raise ManifestError(f"{name} is required from the {stage} stage on", path=self.manifest_path,
                                    hint=_REQUIRED_HINTS.get(name, f"add `{name}:` to the manifest"))

    def missing(self, fields: Sequence[str], stage: str) -> list[str]:
        """Each of `fields` the manifest leaves out, as 'field: required from the <stage> stage on (fix)'."""
        return [f"{name}: required from the {stage} stage on "
                f"({_REQUIRED_HINTS.get(name, f'add `{name}:` to the manifest')})"
                for name in fields if not self.given(name)]

    def missing_files(self, fields: Sequence[str], stage: str) -> list[str]:
        """Each of `fields` (dotted, e.g. `timeline.edit`) that names a file not on disk, as
        'field: file … not found (the <stage> stage reads it)'. A field left out is not checked."""
        out = []
        for name in fields:
            value: Any = self.manifest
            for part in name.split("."):
                value = getattr(value, part, None)
            if isinstance(value, str) and not self.resolve(value, name).is_file():
                out.append(f"{name}: file {value!r} not found (the {stage} stage reads it: "
                           "put the file there, or correct the path)")
        return out

    def require_files(self, fields: Sequence[str], stage: str) -> None:
        """ManifestError naming the first of `fields` whose file is not on disk."""
        missing = self.missing_files(fields, stage)
        if missing:
            raise ManifestError(missing[0], path=self.manifest_path)

    @property
    def timeline_spec(self) -> TimelineSpec:
        """The `timeline:` field; ManifestError when the manifest has none yet."""
        self.require(("timeline",), "assemble")
        assert self.manifest.timeline is not None
        return self.manifest.timeline

    @property
    def edit_path(self) -> Path | None:
        """The NLE edit file of a `timeline: {edit: …}` manifest (None for a cut list or master)."""
        edit = self.manifest.timeline.edit if self.manifest.timeline else None
        return self.resolve(edit, "timeline.edit") if edit else None

    @property
    def title(self) -> Bilingual:
        """The `title:` field; ManifestError when the manifest has none yet."""
        self.require(("title",), "render")
        assert self.manifest.title is not None
        return self.manifest.title

    @property
    def synopsis(self) -> Bilingual:
        self.require(("synopsis",), "package")
        assert self.manifest.synopsis is not None
        return self.manifest.synopsis

    @property
    def cut(self) -> list[CutSpec]:
        """The cut list (empty for a `master:` timeline or no timeline yet)."""
        return list(self.manifest.timeline.cut or []) if self.manifest.timeline else []

    def master_path(self) -> Path | None:
        master = self.manifest.timeline.master if self.manifest.timeline else None
        return self.resolve(master, "timeline.master") if master else None

    def script_path(self) -> Path | None:
        """The programme's narration script (DOCX, XLSX, CSV, text or Markdown), when it has one."""
        script = self.manifest.script
        return self.resolve(script, "script") if script else None

    def glossary_path(self) -> Path | None:
        gloss = self.manifest.glossary
        return self.resolve(gloss, "glossary") if gloss else None


def clip_id_for(path: Path) -> str:
    """A clip id from a file name: the NFC stem, spaces kept (ids appear in reports, not argv)."""
    return nfc(path.stem).strip() or "clip"


def derived_id_problem(field: str, path: Path, clip_id: str) -> str | None:
    """'field: …' when the clip id a file's name gives cannot name a folder (None when it can)."""
    problem = segment_problem(clip_id)
    if problem is None:
        return None
    return (f"{field}: the file name {shown(path.name)[:80]!r} gives the clip id {clip_id[:80]!r}, which {problem} "
            "(give the file an explicit `id:`)")


def resolve_inside(base: Path, relative: str, manifest_path: Path, field: str, *, on_disk: bool = True) -> Path:
    """`relative` against `base`, refusing absolute paths or `..` that leave the manifest's folder.

    `on_disk`: when the path as written (NFC) does not exist, the same name in another Unicode form
    is looked for (`on_disk_name`); a glob pattern passes False.
    """
    text = nfc(relative)
    candidate = Path(os.path.normpath(base / text))
    base_norm = Path(os.path.normpath(base))
    if candidate != base_norm and base_norm not in candidate.parents:
        raise ManifestError(
            f"{field} {relative!r} points outside the manifest's folder",
            path=manifest_path,
            hint="keep footage and assets in or below the folder that holds the manifest",
        )
    return on_disk_name(base_norm, candidate) if on_disk else candidate


def _exists(path: Path) -> bool:
    try:
        return os.path.lexists(path)
    except (OSError, ValueError):
        return False


def on_disk_name(base: Path, path: Path) -> Path:
    """`path` (inside `base`) as the file system spells it, when the manifest writes the name in
    another Unicode form: a Vietnamese name typed composed (NFC) is stored decomposed (NFD) by
    macOS, and a file copied from a Mac keeps that spelling on Linux. Tried in order: the name as
    written, its NFC and NFD forms, then each folder's listing compared under NFC. `path` itself
    when nothing matches (the caller reports it missing)."""
    if _exists(path):
        return path
    for form in ("NFC", "NFD"):
        other = Path(unicodedata.normalize(form, str(path)))
        if _exists(other):
            return other
    try:
        parts = path.relative_to(base).parts
    except ValueError:
        return path
    found = base
    for part in parts:
        if _exists(found / part):
            found = found / part
            continue
        wanted = nfc(part)
        try:
            names = sorted(name for name in os.listdir(found) if nfc(name) == wanted)
        except (OSError, ValueError):
            return path
        if not names:
            return path
        found = found / names[0]
    return found


def glob_footage(pattern: Path) -> list[Path]:
    """The files `pattern` matches, in name order, under either Unicode form of a Vietnamese
    pattern (names stored decomposed on a Mac's disk match a pattern typed composed)."""
    found: set[str] = set()
    for form in ("NFC", "NFD"):
        found.update(globlib.glob(unicodedata.normalize(form, str(pattern))))
    return sorted(path for path in map(Path, found) if path.is_file())
