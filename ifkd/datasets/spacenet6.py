"""SpaceNet 6 (Rotterdam) paired SAR + optical building tiles.

Release layout (`SpaceNet 6 <https://spacenet.ai/sn6-challenge/>`_)::

    root/
    ├── SAR-Intensity/SN6_Train_AOI_11_Rotterdam_SAR-Intensity_<strip>_tile_<k>.tif
    ├── PS-RGBNIR/SN6_Train_AOI_11_Rotterdam_PS-RGBNIR_<strip>_tile_<k>.tif
    ├── geojson_buildings/SN6_Train_AOI_11_Rotterdam_Buildings_<strip>_tile_<k>.geojson
    └── SummaryData/SAR_orientations.txt      # "<strip> 0|1" per line

``<strip>`` is ``<start>_<end>`` (two 14-digit timestamps). The helpers here
do what the SpaceNet 6 baseline's ``pretrain`` step does
(`CosmiQ_SN6_Baseline <https://github.com/CosmiQ/CosmiQ_SN6_Baseline>`_):
buildings over 20 m² rasterised onto each SAR tile's grid (rasterio), 180°
rotation of the tiles of strips imaged from the south, and five easting
groups of which the easternmost is the validation split.
:class:`SpaceNet6Dataset` reads the resulting split CSVs (``image,label``,
the DisOptNet code's ``train.csv`` / ``opticaltrain.csv`` format).
"""
import csv
import json
import math
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmseg.datasets import BaseSegDataset

from ifkd.registry import DATASETS

# Tile id shared by a tile's SAR, optical, geojson and mask files.
TILE_RE = re.compile(r'(\d{14}_\d{14})_tile_(\d+)')
# The baseline's easting range and group count; the last group validates.
EASTING_EDGES = (592000 - 450, 596700 - 450)
NUM_GROUPS = 5
MIN_AREA_M2 = 20.0


class SpaceNet6Error(ValueError):
    """A SpaceNet 6 file or split that cannot be used (the message says
    which and how to fix it)."""


def tile_id(path: str) -> str:
    """``<strip>_tile_<k>`` of a SpaceNet 6 file name."""
    m = TILE_RE.search(osp.basename(path))
    if m is None:
        raise SpaceNet6Error(
            f'{path}: not a SpaceNet 6 tile name (expected '
            '"..._<14 digits>_<14 digits>_tile_<k>.tif").')
    return f'{m.group(1)}_tile_{m.group(2)}'


def strip_of(path: str) -> str:
    return TILE_RE.search(osp.basename(path)).group(1)


def read_tile(path: str, bands: Optional[Sequence[int]] = None) -> np.ndarray:
    """A GeoTIFF as (H, W, C) (``bands``: 1-based band order to keep)."""
    import rasterio
    try:
        with rasterio.open(path) as src:
            data = src.read(list(bands) if bands else None)
    except rasterio.errors.RasterioIOError as e:
        raise SpaceNet6Error(
            f'{path} cannot be read as a GeoTIFF ({e}); re-download or '
            're-extract the tile.') from e
    return np.ascontiguousarray(data.transpose(1, 2, 0))


def load_geojson(path: str) -> dict:
    """Parse a building geojson, failing with the file's name."""
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise SpaceNet6Error(
            f'{path} is not valid GeoJSON ({e}); re-extract '
            'geojson_buildings from the release archive.') from e
    if not isinstance(data, dict) or 'features' not in data:
        raise SpaceNet6Error(
            f'{path} is not a GeoJSON FeatureCollection (no "features").')
    return data


def _geojson_crs(data: dict) -> Optional[str]:
    name = (data.get('crs') or {}).get('properties', {}).get('name')
    if not name:
        return None
    m = re.search(r'EPSG:+(\d+)', name)
    return f'EPSG:{m.group(1)}' if m else name


def building_shapes(geojson: str, dst_crs,
                    min_area: float = MIN_AREA_M2) -> List[dict]:
    """Building polygons of ``geojson`` in ``dst_crs``, those whose area
    (in the file's CRS units, m² for SpaceNet 6's UTM files) is over
    ``min_area``. A file without a ``crs`` member is taken to be in
    ``dst_crs``."""
    from rasterio.warp import transform_geom
    from shapely.geometry import mapping, shape
    data = load_geojson(geojson)
    src_crs = _geojson_crs(data)
    shapes = []
    for i, feature in enumerate(data['features']):
        geom = (feature or {}).get('geometry')
        if not geom:
            continue
        try:
            poly = shape(geom)
        except (ValueError, TypeError, AttributeError) as e:
            raise SpaceNet6Error(
                f'{geojson}: feature {i} has an unreadable geometry '
                f'({e}).') from e
        if poly.is_empty or poly.area <= min_area:
            continue
        geom = mapping(poly)
        if src_crs is not None and dst_crs is not None \
                and src_crs != str(dst_crs):
            geom = transform_geom(src_crs, dst_crs, geom)
        shapes.append(geom)
    return shapes


def rasterize_buildings(geojson: str, reference_tif: str,
                        min_area: float = MIN_AREA_M2) -> np.ndarray:
    """Building mask (H, W) uint8 {0, 1} of ``geojson`` on the grid of
    ``reference_tif`` (as solaris' ``footprint_mask`` in the baseline)."""
    import rasterio
    from rasterio.features import rasterize
    with rasterio.open(reference_tif) as ref:
        shape, transform, crs = (ref.height, ref.width), ref.transform, \
            ref.crs
    shapes = building_shapes(geojson, crs, min_area)
    if not shapes:
        return np.zeros(shape, np.uint8)
    return rasterize(((g, 1) for g in shapes), out_shape=shape,
                     transform=transform, fill=0, dtype='uint8')


def easting_group(tif: str, edges: Tuple[float, float] = EASTING_EDGES,
                  num_groups: int = NUM_GROUPS) -> int:
    """The baseline's easting group of a tile (its west edge)."""
    import rasterio
    with rasterio.open(tif) as src:
        x = src.transform.c
    left, right = edges
    return min(num_groups - 1,
               max(0, math.floor((x - left) / (right - left) * num_groups)))


def read_orientations(path: str) -> Dict[str, int]:
    """``SAR_orientations.txt``: strip -> 0 (imaged from the north) or 1
    (from the south; its tiles are rotated 180°)."""
    out = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            parts = line.split()
            if len(parts) != 2 or parts[1] not in ('0', '1'):
                raise SpaceNet6Error(
                    f'{path}:{n}: expected "<strip> 0|1", got {line!r}.')
            out[parts[0]] = int(parts[1])
    return out


def read_split_csv(path: str) -> List[Tuple[str, str]]:
    """``(image, label)`` rows of a split CSV (DisOptNet's format)."""
    with open(path, newline='') as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None or \
                not {'image', 'label'} <= set(reader.fieldnames):
            raise SpaceNet6Error(
                f'{path}: a split CSV needs the header "image,label" '
                f'(got {reader.fieldnames}).')
        return [(row['image'], row['label']) for row in reader]


def write_split_csv(path: str, rows: Sequence[Tuple[str, str]]) -> None:
    with open(path, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['image', 'label'])
        writer.writerows(rows)


def _resolve(path: str, folder: str) -> str:
    """A CSV path as written, or its file name under ``folder`` (the seed's
    CSVs hold absolute paths of another machine)."""
    if osp.isfile(path):
        return path
    return osp.join(folder, osp.basename(path))


@DATASETS.register_module()
class SpaceNet6Dataset(BaseSegDataset):
    """Paired SAR + optical SpaceNet 6 building tiles (2 classes).

    Each sample has ``img_path`` (the SAR tile), ``optical_path`` (the
    optical tile of the same ground) and ``seg_map_path`` (the building
    mask); ``ifkd.LoadSAROpticalPair`` reads them. The split comes from
    the SAR CSV ``ann_file`` and, optionally, the optical CSV
    ``optical_ann_file``, both ``image,label`` (see
    ``tools/dataset_converters/spacenet6_prep.py``); without it the optical
    tile is the file of the same tile id in ``data_prefix['optical_path']``.
    Paths in the CSVs that do not exist are looked up by file name under
    the ``data_prefix`` folders.

    Args:
        ann_file (str): SAR split CSV (``train.csv`` / ``valid.csv``).
        optical_ann_file (str, optional): Optical split CSV
            (``opticaltrain.csv`` / ``opticalvalid.csv``).
        data_prefix (dict): ``img_path`` (SAR), ``optical_path`` and
            ``seg_map_path`` folders, relative to ``data_root``.
        **kwargs: See ``BaseSegDataset``.
    """
    METAINFO = dict(classes=('background', 'building'),
                    palette=[[0, 0, 0], [255, 255, 255]])

    def __init__(self,
                 ann_file: str,
                 optical_ann_file: Optional[str] = None,
                 data_prefix: dict = dict(
                     img_path='sar', optical_path='optical',
                     seg_map_path='masks'),
                 **kwargs) -> None:
        self.optical_ann_file = optical_ann_file
        super().__init__(
            ann_file=ann_file, data_prefix=data_prefix, img_suffix='.tif',
            seg_map_suffix='.tif', **kwargs)

    def _full(self, path: Optional[str]) -> Optional[str]:
        if path is None or osp.isabs(path) or not self.data_root:
            return path
        return osp.join(self.data_root, path)

    def _optical_files(self, folder: str) -> Dict[str, str]:
        if self.optical_ann_file:
            rows = read_split_csv(self._full(self.optical_ann_file))
            return {tile_id(img): _resolve(img, folder) for img, _ in rows}
        import glob
        return {tile_id(p): p
                for p in glob.glob(osp.join(folder, '*.tif'))}

    def load_data_list(self) -> List[dict]:
        sar_dir = self.data_prefix.get('img_path', '')
        opt_dir = self.data_prefix.get('optical_path', '')
        mask_dir = self.data_prefix.get('seg_map_path', '')
        rows = read_split_csv(self.ann_file)
        if not rows:
            raise SpaceNet6Error(
                f'{self.ann_file} lists no tiles (empty mask set): run '
                'tools/dataset_converters/spacenet6_prep.py on the release '
                'to write the masks and split CSVs.')
        optical = self._optical_files(opt_dir)
        data_list = []
        for img, label in rows:
            tid = tile_id(img)
            sar = _resolve(img, sar_dir)
            opt = optical.get(tid)
            if opt is None or not osp.isfile(opt):
                raise SpaceNet6Error(
                    f'SAR tile {sar} has no optical partner (tile {tid} '
                    f'is missing from '
                    f'{self.optical_ann_file or opt_dir}): add the '
                    'optical tile or drop the SAR tile from the split.')
            mask = _resolve(label, mask_dir)
            for path, what in ((sar, 'SAR tile'), (mask, 'mask')):
                if not osp.isfile(path):
                    raise SpaceNet6Error(
                        f'{what} {path} listed in {self.ann_file} does not '
                        'exist: re-run spacenet6_prep.py.')
            data_list.append(
                dict(img_path=sar, optical_path=opt, seg_map_path=mask,
                     tile_id=tid, label_map=self.label_map,
                     reduce_zero_label=self.reduce_zero_label,
                     seg_fields=[]))
        return data_list


def _write_tile(path: str, data: np.ndarray, profile: dict,
                rotate: bool) -> None:
    """Write (H, W, C) ``data`` with ``profile`` (rotated 180° if asked,
    as the baseline's ``copyrotateimage``: georeferencing kept)."""
    import rasterio
    if rotate:
        data = data[::-1, ::-1]
    profile = dict(profile, count=data.shape[-1], dtype=str(data.dtype))
    with rasterio.open(path, 'w', **profile) as dst:
        dst.write(np.ascontiguousarray(data.transpose(2, 0, 1)))


def _profile(path: str) -> dict:
    import rasterio
    with rasterio.open(path) as src:
        return dict(driver='GTiff', height=src.height, width=src.width,
                    crs=src.crs, transform=src.transform)


def prepare_spacenet6(root: str,
                      out: str,
                      optical_dir: str = 'PS-RGBNIR',
                      rotate: bool = True,
                      min_area: float = MIN_AREA_M2) -> Dict[str, int]:
    """The SpaceNet 6 baseline's ``pretrain`` step on ``root``: a mask per
    SAR tile from its geojson (buildings over ``min_area`` m²), tiles of
    strips imaged from the south rotated 180° (``rotate``), and the split
    by easting group (the easternmost validates). Writes ``out/sar``,
    ``out/optical``, ``out/masks`` and the DisOptNet CSVs ``train.csv``,
    ``valid.csv``, ``opticaltrain.csv``, ``opticalvalid.csv``. Returns the
    number of tiles per split."""
    import glob
    import os
    sar_files = sorted(glob.glob(osp.join(root, 'SAR-Intensity', '*.tif')))
    geojsons = {tile_id(p): p for p in glob.glob(
        osp.join(root, 'geojson_buildings', '*.geojson'))}
    optical = {tile_id(p): p for p in glob.glob(
        osp.join(root, optical_dir, '*.tif'))}
    if not sar_files or not geojsons:
        raise SpaceNet6Error(
            f'{root} has no SAR tiles (SAR-Intensity/*.tif) or no building '
            'labels (geojson_buildings/*.geojson): an empty mask set. Point '
            'the tool at the extracted SpaceNet 6 training release.')
    orientations = read_orientations(
        osp.join(root, 'SummaryData', 'SAR_orientations.txt')) \
        if rotate else {}
    dirs = {k: osp.join(out, k) for k in ('sar', 'optical', 'masks')}
    for d in dirs.values():
        os.makedirs(d, exist_ok=True)
    splits: Dict[str, List[Tuple[str, str, str]]] = {'train': [],
                                                    'valid': []}
    for sar in sar_files:
        tid = tile_id(sar)
        for what, table in (('optical partner', optical),
                            ('building geojson', geojsons)):
            if tid not in table:
                raise SpaceNet6Error(
                    f'SAR tile {sar} has no {what} (tile {tid}); restore it '
                    'or remove the SAR tile.')
        if rotate and strip_of(sar) not in orientations:
            raise SpaceNet6Error(
                f'Strip {strip_of(sar)} of {sar} is not in '
                'SAR_orientations.txt; pass --no-rotate to skip rotation.')
        flip = bool(orientations.get(strip_of(sar), 0))
        profile = _profile(sar)
        sar_img, opt_img = read_tile(sar), read_tile(optical[tid])
        if sar_img.shape[:2] != opt_img.shape[:2]:
            raise SpaceNet6Error(
                f'Tile sizes differ: SAR {sar} is '
                f'{sar_img.shape[1]}x{sar_img.shape[0]} but optical '
                f'{optical[tid]} is {opt_img.shape[1]}x{opt_img.shape[0]}; '
                'resample the optical tile onto the SAR grid.')
        mask = rasterize_buildings(geojsons[tid], sar, min_area)
        name = osp.basename(sar)
        paths = (osp.join(dirs['sar'], name),
                 osp.join(dirs['optical'], osp.basename(optical[tid])),
                 osp.join(dirs['masks'], name))
        for path, data in zip(paths, (sar_img, opt_img, mask[..., None])):
            _write_tile(path, data, profile, flip)
        group = easting_group(sar)
        splits['valid' if group == NUM_GROUPS - 1 else 'train'].append(
            tuple(osp.abspath(p) for p in paths))
    for split, rows in splits.items():
        write_split_csv(osp.join(out, f'{split}.csv'),
                        [(s, m) for s, _, m in rows])
        write_split_csv(osp.join(out, f'optical{split}.csv'),
                        [(o, m) for _, o, m in rows])
    return {k: len(v) for k, v in splits.items()}
