"""Format each config text with yapf once per process.

mmengine 0.10.7 formats a config with yapf for every ``Config.pretty_text``:
a runner asks twice (the log and ``dump_config``), and every runner of a
sweep, test or pipeline asks again. A distillation config (teacher, student,
connectors and losses) is ~140 kB of text and yapf takes ~4 s for it on one
CPU core. yapf's output depends only on its input text and style, so it is
memoised on them; the formatted text is unchanged.
"""
from collections import OrderedDict
from typing import Any, Callable, Tuple

_MAX_ENTRIES = 64


def memoize_format_code(format_code: Callable[..., Tuple[str, bool]]
                        ) -> Callable[..., Tuple[str, bool]]:
    """Wrap yapf's ``FormatCode`` with a bounded memo keyed by its input
    text, style and options."""
    memo: 'OrderedDict[tuple, Tuple[str, bool]]' = OrderedDict()

    def memoized(unformatted_source: str, *args: Any,
                 **kwargs: Any) -> Tuple[str, bool]:
        key = (unformatted_source, repr(args), repr(sorted(kwargs.items())))
        if key in memo:
            memo.move_to_end(key)
            return memo[key]
        result = format_code(unformatted_source, *args, **kwargs)
        memo[key] = result
        if len(memo) > _MAX_ENTRIES:
            memo.popitem(last=False)
        return result

    memoized.__wrapped__ = format_code  # type: ignore[attr-defined]
    return memoized


def patch_config_format_memo() -> None:
    """Route mmengine's ``Config.pretty_text`` through the memo (once)."""
    import mmengine.config.config as config_module
    if not hasattr(config_module.FormatCode, '__wrapped__'):
        config_module.FormatCode = memoize_format_code(
            config_module.FormatCode)
