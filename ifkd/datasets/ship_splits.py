"""Split files of the SAR ship datasets: seeded stratified splits, reading
and writing them, and a cheap check that each listed image is readable.

A split file lists one sample per line, ``<image path> <class name>``, the
path relative to the data root (it may contain spaces; the class is the last
field). ``tools/dataset_converters/ship_dataset_prep.py`` and the synthetic
generator write them to ``<data_root>/splits/{train,test}.txt``.
"""
import math
import os
import os.path as osp
import zlib
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image, UnidentifiedImageError

Sample = Tuple[str, str]  # (image path relative to the data root, class)

IMG_EXTENSIONS = ('.png', '.tif', '.tiff', '.jpg', '.jpeg', '.bmp')
SPLIT_DIR = 'splits'
PREP_HINT = ('write the split files with tools/dataset_converters/'
             'ship_dataset_prep.py (or tools/misc/'
             'gen_synthetic_sar_ships.py for the synthetic set)')


def num_test(n: int, test_ratio: float) -> int:
    """Test samples of a class with ``n`` samples.

    ``round(n * test_ratio)`` (halves up), kept in ``[1, n - 1]`` so that a
    class with at least two samples is in both splits; a single sample goes
    to train.
    """
    if n < 2:
        return 0
    return min(max(math.floor(n * test_ratio + 0.5), 1), n - 1)


def stratified_split(samples: Sequence[Sample],
                     test_ratio: float = 0.2,
                     seed: int = 0) -> Tuple[List[Sample], List[Sample]]:
    """Split samples per class into train and test, reproducibly.

    Each class is shuffled with its own generator, seeded by ``seed`` and
    the class name, after sorting its paths, so the result depends neither
    on the input order nor on the other classes.

    Args:
        samples (Sequence[tuple]): ``(path, class name)`` pairs.
        test_ratio (float): Share of each class in the test split, in
            ``(0, 1)``; see :func:`num_test`. Defaults to 0.2 (80/20).
        seed (int): Random seed. Defaults to 0.

    Returns:
        tuple: ``(train, test)`` lists of samples, each sorted by path.
    """
    if not 0 < test_ratio < 1:
        raise ValueError(f'test_ratio must be in (0, 1), got {test_ratio}')
    by_class: Dict[str, List[str]] = defaultdict(list)
    for path, name in samples:
        by_class[name].append(path)
    train, test = [], []
    for name, paths in by_class.items():
        key = zlib.crc32(name.encode())
        rng = np.random.default_rng(np.random.SeedSequence([seed, key]))
        order = rng.permutation(len(paths))
        paths = sorted(paths)
        k = num_test(len(paths), test_ratio)
        test += [(paths[i], name) for i in order[:k]]
        train += [(paths[i], name) for i in order[k:]]
    return sorted(train), sorted(test)


def write_split(path: str, samples: Sequence[Sample]) -> None:
    """Write ``samples`` to the split file ``path``."""
    with open(path, 'w') as f:
        f.write(''.join(f'{p} {c}\n' for p, c in samples))


def read_split(path: str,
               classes: Optional[Sequence[str]] = None) -> List[Sample]:
    """Read a split file, failing early on anything that would break later.

    Args:
        path (str): The split file.
        classes (Sequence[str], optional): Allowed class names.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: The file is empty, a line is malformed or names a class
            outside ``classes``.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'split file {path} not found; {PREP_HINT}')
    samples = []
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            fields = line.rsplit(maxsplit=1)
            if len(fields) != 2:
                raise ValueError(
                    f'{path}:{lineno}: expected "<image path> <class name>", '
                    f'got {line!r}; {PREP_HINT}')
            if classes is not None and fields[1] not in classes:
                raise ValueError(
                    f'{path}:{lineno}: class {fields[1]!r} is not one of '
                    f'{tuple(classes)}; pass classes=... that include it or '
                    f'rewrite the split with the right classes')
            samples.append((fields[0], fields[1]))
    if not samples:
        raise ValueError(f'split file {path} is empty; {PREP_HINT}')
    return samples


def check_image(path: str, source: str = '') -> Tuple[int, int]:
    """Check that ``path`` exists and has a readable image header.

    Only the header is read (microseconds per file), so a whole split is
    checked when the dataset is built; a file truncated after its header
    still fails at load time, with the path in the loader's message.

    Args:
        path (str): The image file.
        source (str): Where the path was listed, for the message.

    Returns:
        tuple: ``(width, height)`` of the image.
    """
    where = f' (listed in {source})' if source else ''
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'image {path}{where} not found; check data_root, or rewrite the '
            f'split files: {PREP_HINT}')
    try:
        with Image.open(path) as img:
            size = img.size
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise ValueError(
            f'corrupt image {path}{where}: {err}; re-extract or replace the '
            f'file, or delete it and rewrite the split files: '
            f'{PREP_HINT}') from err
    if min(size) <= 0:
        raise ValueError(f'corrupt image {path}{where}: size {size}; '
                         f're-extract or replace the file')
    return size


def class_counts(samples: Sequence[Sample],
                 classes: Sequence[str]) -> Dict[str, int]:
    """Number of samples of each class, in ``classes`` order."""
    counts = {c: 0 for c in classes}
    for _, name in samples:
        counts[name] += 1
    return counts


def write_splits(root: str,
                 samples: Sequence[Sample],
                 test_ratio: float = 0.2,
                 seed: int = 0) -> Tuple[List[Sample], List[Sample]]:
    """Split ``samples`` (paths relative to ``root``) and write
    ``root/splits/{train,test}.txt``. No image is copied or moved.

    Returns:
        tuple: ``(train, test)``, see :func:`stratified_split`.
    """
    if not samples:
        raise ValueError(f'no chips of the chosen classes under {root}; '
                         f'check the root folder and the class mapping')
    train, test = stratified_split(samples, test_ratio, seed)
    os.makedirs(osp.join(root, SPLIT_DIR), exist_ok=True)
    write_split(osp.join(root, SPLIT_DIR, 'train.txt'), train)
    write_split(osp.join(root, SPLIT_DIR, 'test.txt'), test)
    return train, test


def write_mixed(out_dir: str,
                parts: Dict[str, Tuple[List[Sample], List[Sample]]]
                ) -> Tuple[List[Sample], List[Sample]]:
    """Write the merged split files of several datasets to ``out_dir``.

    The merged train split is the union of the parts' train splits and the
    merged test split the union of their test splits, so that no test chip
    of any part is trained on. Paths are rewritten relative to
    ``out_dir``; nothing is copied.

    Args:
        out_dir (str): Root of the merged set (``data_root`` of
            ``ifkd.MixedShipDataset``).
        parts (dict): ``{data root: (train, test)}``.

    Returns:
        tuple: The merged ``(train, test)``.
    """
    merged: Tuple[List[Sample], List[Sample]] = ([], [])
    for root, splits in parts.items():
        for dst, samples in zip(merged, splits):
            dst += [(_relpath(osp.join(root, p), out_dir), c)
                    for p, c in samples]
    os.makedirs(osp.join(out_dir, SPLIT_DIR), exist_ok=True)
    for name, samples in zip(('train', 'test'), merged):
        write_split(osp.join(out_dir, SPLIT_DIR, f'{name}.txt'), samples)
    return merged


def _relpath(path: str, start: str) -> str:
    return osp.relpath(osp.abspath(path), osp.abspath(start)).replace(
        os.sep, '/')
