"""One vocabulary of expression names: ``"Surprised"`` -> ``"surprise"``, ``"HA"`` -> ``"happy"``.
"""
import re

__all__ = ['normalise_expression']


#: Spellings accepted for each normalised expression name.
_EXPRESSION_ALIASES = {
    "neutral": ("neutral", "ne", "n", "calm"),
    "happy": ("happy", "happiness", "ha", "smile", "smiling", "joy"),
    "sad": ("sad", "sadness", "sa"),
    "surprise": ("surprise", "surprised", "su"),
    "angry": ("angry", "anger", "an"),
    "fear": ("fear", "fearful", "afraid", "af", "scared"),
    "disgust": ("disgust", "disgusted", "di"),
    "contempt": ("contempt", "contemptuous"),
}


_ALIAS = {a: k for k, v in _EXPRESSION_ALIASES.items() for a in v}


def normalise_expression(name):
    """Canonical expression name: ``"Surprised"`` -> ``"surprise"``, ``"HA"`` -> ``"happy"``.

    Unknown names (e.g. CFEE compound ones like ``"happily surprised"``) are
    lower-cased with spaces and dashes turned into underscores.

    >>> normalise_expression("Surprised"), normalise_expression("fearful"), normalise_expression("Happily surprised")
    ('surprise', 'fear', 'happily_surprised')
    """
    key = re.sub(r"[\s\-]+", "_", str(name).strip().lower())
    return _ALIAS.get(key, key)
