"""Draw what IFKD's modules do on one image, one PNG per FPN level.

    python tools/analysis_tools/vis_distill_maps.py CONFIG CHECKPOINT IMAGE \
        [--out-dir DIR] [--cfg-options k=v ...]

CONFIG is an IFKD distillation config (e.g.
``configs/ifkd/ifkd_retinanet_r50-mbv2_fpn_1x_synthetic-sar-aircraft.py``)
and CHECKPOINT its trained checkpoint. Each ``level{l}.png`` holds, left to
right (each panel min-max normalised on its own, viridis colormap, one
square of ``--cell`` px per map, nearest-neighbour):

1. teacher feature energy, mean over channels of F_t^2;
2. EDE's perturbation, mean over channels of EDE(F_t) - F_t;
3. M_FRS;
4. FDR's output energy, mean over channels of the target^2;
5. FDR's spectrum before W: mean over channels of log |DFT(z)|^2,
   centred, z being FDR's reconstructed input (Eq. 5-7);
6. the same after W, log |DFT(z) W|^2: the difference of the two is
   2 log W averaged over channels, i.e. what the filter learnt;
7. M_HSM;
8. the student's adapted feature energy.

The panels are computed by the distiller's own record specs (those of
``loss_feat_fpn{l}``), in eval mode (FDR's ratio is the middle of its
range). ``level{l}.npz`` holds the panel arrays, before normalisation, under
the names in ``PANELS``.
"""
import argparse
import os
import os.path as osp
from typing import Dict, List

import numpy as np
import torch

PANELS = ('teacher_energy', 'ede_perturbation', 'm_frs', 'fdr_energy',
          'spectrum_before_w', 'spectrum_after_w', 'm_hsm',
          'student_energy')
TITLES = ('teacher |F|^2', 'EDE perturbation', 'M_FRS', 'FDR output |F|^2',
          'spectrum before W', 'spectrum after W', 'M_HSM',
          'student adapted |F|^2')
GAP = 4  # px between panels
TITLE_H = 16  # px of the title strip above the panels


def parse_args(argv=None):
    from mmengine.config import DictAction
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config', help='IFKD distillation config')
    p.add_argument('checkpoint', help='its checkpoint')
    p.add_argument('image', help='an image file')
    p.add_argument('--out-dir', default='work_dirs/vis_distill_maps')
    p.add_argument('--cell', type=int, default=128,
                   help='side of each panel in px')
    p.add_argument('--device', default='cpu')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   default={})
    return p.parse_args(argv)


def build_model(config: str, checkpoint: str, cfg_options: dict,
                device: str):
    """The distillation model with its checkpoint, in eval mode."""
    from mmengine.registry import DefaultScope
    from mmengine.runner import load_checkpoint

    from ifkd.engine.launch import load_config
    from ifkd.registry import MODELS
    cfg = load_config(config, cfg_options=cfg_options)
    if 'distiller' not in cfg.model:
        raise ValueError(f'{config} is not a distillation config (its model '
                         'has no distiller): give an IFKD config.')
    cfg.model.teacher_ckpt = None  # the checkpoint holds the teacher
    cfg.model.distiller.pop('sam_cache', None)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope',
                                                      'mmdet')):
        model = MODELS.build(cfg.model)
    load_checkpoint(model, checkpoint, map_location='cpu', strict=False)
    return cfg, model.to(device).eval()


def load_image(cfg, model, image: str):
    """The image through the config's test pipeline and preprocessor."""
    from mmcv.transforms import Compose
    from mmengine.registry import DefaultScope
    if not osp.isfile(image):
        raise FileNotFoundError(f'image {image!r} does not exist.')
    steps = [dict(t) for t in cfg.test_dataloader.dataset.pipeline
             if 'Annotation' not in t['type']]
    steps[0] = dict(type='LoadImageFromFile')
    with DefaultScope.overwrite_default_scope('mmdet'):
        pipeline = Compose(steps)
    packed = pipeline(dict(img_path=image, img_id=0))
    data = model.data_preprocessor(
        dict(inputs=[packed['inputs']], data_samples=[packed['data_samples']]),
        False)
    return data['inputs'], data['data_samples']


def _head(detector):
    rpn = getattr(detector, 'rpn_head', None)
    return rpn if rpn is not None else detector.bbox_head


@torch.no_grad()
def record_step(model, inputs, data_samples) -> None:
    """Teacher and student forwards under the distiller's recorders, and
    the step's context, as in a training step (without its losses)."""
    from ifkd.models.distillers import DistillContext
    distiller = model.distiller
    for recorders, net in ((distiller.teacher_recorders, model.teacher),
                           (distiller.student_recorders, model.student)):
        with recorders:
            _head(net)(net.extract_feat(inputs))
    distiller.set_context(
        DistillContext.from_preprocessor(inputs, data_samples,
                                         model.data_preprocessor))


def _mean_log_power(spec: torch.Tensor) -> np.ndarray:
    power = spec.abs().pow(2).clamp_min(1e-30)  # a zero bin stays finite
    return power.log().mean(dim=1)[0].cpu().numpy()


@torch.no_grad()
def level_panels(model, level: int) -> Dict[str, np.ndarray]:
    """The (H, W) arrays of ``PANELS`` for one level of the recorded step."""
    from ifkd.models.connectors import EDEConnector, FDRConnector
    from ifkd.models.connectors.fdr import _centred_fft
    distiller = model.distiller
    specs = distiller.loss_forward_mappings[f'loss_feat_fpn{level}']
    t_spec, s_spec = dict(specs['preds_T']), specs['preds_S']
    chain = distiller._connector_names(t_spec.pop('connector', None))
    side = t_spec.pop('connector_kwargs', None) or {}
    feat = distiller.get_record(**t_spec)
    kinds = {type(distiller.connectors[n]): n for n in chain}
    if FDRConnector not in kinds or 'mask' not in specs:
        raise ValueError('vis_distill_maps needs an IFKD config with FDR '
                         'and HSM (loss_feat_fpn* with a FDR chain and a '
                         'mask).')
    ede_name = kinds.get(EDEConnector)
    perturbed = distiller.get_record(
        **t_spec, connector=ede_name) if ede_name else feat
    frs = distiller.get_record(**side['frs_mask'])
    fdr = distiller.connectors[kinds[FDRConnector]]
    z = fdr.reconstruct(perturbed.float(), frs, fdr.sample_ratio())
    spec = _centred_fft(z)
    target = distiller.get_record(**specs['preds_T'])
    energy = lambda x: x.float().pow(2).mean(dim=1)[0].cpu().numpy()  # noqa
    return dict(
        teacher_energy=energy(feat),
        ede_perturbation=(perturbed - feat).float().mean(
            dim=1)[0].cpu().numpy(),
        m_frs=frs[0, 0].cpu().numpy(),
        fdr_energy=energy(target),
        spectrum_before_w=_mean_log_power(spec),
        spectrum_after_w=_mean_log_power(
            spec * fdr.spectral_filter(tuple(z.shape[-2:]))),
        m_hsm=distiller.get_record(**specs['mask'])[0, 0].cpu().numpy(),
        student_energy=energy(distiller.get_record(**s_spec)))


def normalise(a: np.ndarray) -> np.ndarray:
    """Min-max to [0, 1]; a constant map is 0."""
    a = a.astype(np.float64)
    span = a.max() - a.min()
    return (a - a.min()) / span if span > 0 else np.zeros_like(a)


def panel_rgb(a: np.ndarray, cell: int) -> np.ndarray:
    """(cell, cell, 3) uint8 viridis image of ``a``, nearest-neighbour."""
    from matplotlib import colormaps
    lut = (colormaps['viridis'](np.linspace(0, 1, 256))[:, :3] * 255).round()
    idx = np.rint(normalise(a) * 255).astype(int)
    h, w = a.shape
    rows = (np.arange(cell) * h // cell)[:, None]
    cols = (np.arange(cell) * w // cell)[None, :]
    return lut[idx[rows, cols]].astype(np.uint8)


def panel_box(i: int, cell: int) -> tuple:
    """(top, left, bottom, right) px of panel ``i`` in the figure."""
    left = i * (cell + GAP)
    return TITLE_H, left, TITLE_H + cell, left + cell


def render(panels: Dict[str, np.ndarray], cell: int, path: str) -> None:
    """One PNG: titled panels side by side on white."""
    from PIL import Image, ImageDraw
    width = len(PANELS) * (cell + GAP) - GAP
    fig = np.full((TITLE_H + cell, width, 3), 255, dtype=np.uint8)
    for i, name in enumerate(PANELS):
        top, left, bottom, right = panel_box(i, cell)
        fig[top:bottom, left:right] = panel_rgb(panels[name], cell)
    img = Image.fromarray(fig)
    draw = ImageDraw.Draw(img)
    for i, title in enumerate(TITLES):
        draw.text((panel_box(i, cell)[1] + 2, 2), title, fill=(0, 0, 0))
    img.save(path)


def visualise(config: str, checkpoint: str, image: str, out_dir: str,
              cell: int = 128, cfg_options: dict = None,
              device: str = 'cpu') -> List[str]:
    """Write ``level{l}.png`` and ``level{l}.npz`` for every level; returns
    the PNG paths."""
    cfg, model = build_model(config, checkpoint, cfg_options or {}, device)
    inputs, data_samples = load_image(cfg, model, image)
    record_step(model, inputs.to(device), data_samples)
    levels = sorted(
        int(k[len('loss_feat_fpn'):])
        for k in model.distiller.loss_forward_mappings
        if k.startswith('loss_feat_fpn'))
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    try:
        for level in levels:
            panels = level_panels(model, level)
            path = osp.join(out_dir, f'level{level}.png')
            render(panels, cell, path)
            np.savez(osp.join(out_dir, f'level{level}.npz'), **panels)
            paths.append(path)
    finally:
        model.distiller.set_context(None)
    return paths


def main(argv=None) -> List[str]:
    args = parse_args(argv)
    import ifkd  # noqa: F401  (registries and compat patches)
    paths = visualise(args.config, args.checkpoint, args.image, args.out_dir,
                      args.cell, args.cfg_options, args.device)
    print('\n'.join(paths))
    return paths


if __name__ == '__main__':
    main()
