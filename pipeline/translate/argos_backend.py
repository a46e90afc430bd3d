"""Translation with Argos Translate (OpenNMT models packaged as `.argosmodel`), fully offline.

Options: `package` — a path to a `translate-vi_en-*.argosmodel` file, installed on first use when the
vi→en pair is not installed yet (no download: packages come from the file the editor gives).
argostranslate is imported only here, when this backend is chosen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import ModelError
from .base import SourceCue, TranslationContext, translate_protected

INSTALL_HINT = (
    "pip install argostranslate, then give translation.options.package: /path/to/translate-vi_en.argosmodel "
    "(download it once from the Argos package index on a connected machine)"
)


class ArgosTranslator:
    """vi→en through an installed Argos package."""

    name = "argos"
    is_machine_draft = True

    def __init__(self, options: Mapping[str, Any]) -> None:
        package = options.get("package")
        self.package = Path(str(package)).expanduser() if package else None
        self._translation: Any = None

    def _load(self) -> Any:
        if self._translation is not None:
            return self._translation
        try:
            import argostranslate.package
            import argostranslate.translate
        except ImportError:
            raise ModelError("the argos backend needs argostranslate, which is not installed",
                             hint=INSTALL_HINT) from None

        def find() -> Any:
            languages = {lang.code: lang for lang in argostranslate.translate.get_installed_languages()}
            if "vi" in languages and "en" in languages:
                return languages["vi"].get_translation(languages["en"])
            return None

        translation = find()
        if translation is None and self.package is not None:
            if not self.package.is_file():
                raise ModelError("Argos package file not found", path=self.package, hint=INSTALL_HINT)
            try:
                argostranslate.package.install_from_path(str(self.package))
            except Exception as exc:  # argostranslate raises bare Exceptions for bad zips
                raise ModelError(f"cannot install the Argos package: {exc}", path=self.package) from None
            translation = find()
        if translation is None:
            raise ModelError("no Argos vi→en package is installed", hint=INSTALL_HINT)
        self._translation = translation
        return translation

    def translate(self, cues: Sequence[SourceCue], context: TranslationContext) -> list[str]:
        """One call per cue (Argos has no batch API), terms protected as placeholders."""
        translation = self._load()
        return translate_protected(cues, context.glossary, lambda texts: [translation.translate(t) for t in texts])
