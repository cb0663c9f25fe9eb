"""Generated tables land in documents between a pair of HTML comments."""


def replace_block(path: str, block: str, begin: str, end: str) -> None:
    """Replace the text from ``begin`` to ``end`` (both included) in
    ``path`` by ``block``, which starts with ``begin`` and ends with
    ``end``. Fails if a marker is missing: the results must land where the
    text refers to them.

    Args:
        path (str): The document, e.g. README.md.
        block (str): The new text, markers included.
        begin (str): The opening marker, e.g. ``<!-- x-results:begin -->``.
        end (str): The closing marker.
    """
    with open(path) as f:
        text = f.read()
    if begin not in text or end not in text:
        raise ValueError(f'{path} has no {begin} ... {end} block; add one '
                         'where the table belongs.')
    head, rest = text.split(begin, 1)
    tail = rest.split(end, 1)[1]
    with open(path, 'w') as f:
        f.write(head + block + tail)
