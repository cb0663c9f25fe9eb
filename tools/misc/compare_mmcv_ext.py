"""Compare ifkd's mmcv-lite kernels with mmcv's compiled ones.

Run it with an environment that has the compiled ops
(``IFKD_MMCV=full make setup``): it calls ``mmcv._ext``'s kernels and
``ifkd.compat.mmcv_ext``'s on the same random inputs and prints, per case,
whether NMS keeps the same indices and the largest RoIAlign / focal-loss
differences. ``--device cuda`` compares the CUDA kernels.

    python tools/misc/compare_mmcv_ext.py [--device cpu|cuda] [--cases N]
"""
import argparse
import importlib

import numpy as np
import torch

from ifkd.compat import mmcv_ext as lite


def compiled_ext():
    if not lite.compiled_ext_available():
        raise SystemExit('no compiled mmcv._ext here: run this with the full '
                         'mmcv build (IFKD_MMCV=full make setup)')
    return importlib.import_module('mmcv._ext')


def compare_nms(ext, rng, device: str, cases: int) -> None:
    same, total = 0, 0
    for case in range(cases):
        n = int(rng.integers(0, 400))
        xy = rng.uniform(0, 100, (n, 2))
        wh = rng.uniform(0.5, 40, (n, 2))
        boxes = torch.tensor(np.concatenate([xy, xy + wh], 1),
                             dtype=torch.float32, device=device)
        # half the cases with many tied scores
        levels = 8 if case % 2 else 10**6
        scores = torch.tensor(rng.integers(0, levels, n) / levels,
                              dtype=torch.float32, device=device)
        for offset in (0, 1):
            for thr in (0.3, 0.5, 0.7):
                ref = ext.nms(boxes, scores, iou_threshold=thr, offset=offset)
                got = lite.nms(boxes, scores, thr, offset)
                same += int(torch.equal(ref.cpu(), got.cpu()))
                total += 1
    print(f'nms: identical kept indices in {same}/{total} cases')


def compare_roi_align(ext, rng, device: str, cases: int) -> None:
    fwd, bwd = 0.0, 0.0
    for _ in range(cases):
        b, c, h, w = 2, 4, int(rng.integers(5, 40)), int(rng.integers(5, 40))
        feat = torch.tensor(rng.standard_normal((b, c, h, w)),
                            dtype=torch.float32, device=device)
        k = int(rng.integers(1, 30))
        xy = rng.uniform(-20, 4 * max(h, w), (k, 2))
        wh = rng.uniform(0.2, 80, (k, 2))
        rois = torch.tensor(np.concatenate(
            [rng.integers(0, b, (k, 1)), xy, xy + wh], 1),
            dtype=torch.float32, device=device)
        for aligned in (True, False):
            for sampling in (0, 1, 2):
                args = dict(aligned_height=7, aligned_width=7,
                            spatial_scale=0.25, sampling_ratio=sampling,
                            pool_mode=1, aligned=aligned)
                outs = []
                for fn in (ext.roi_align_forward, lite.roi_align_forward):
                    out = feat.new_zeros(k, c, 7, 7)
                    fn(feat, rois, out, feat.new_zeros(0), feat.new_zeros(0),
                       **args)
                    outs.append(out)
                fwd = max(fwd, (outs[0] - outs[1]).abs().max().item())
                grad_out = torch.randn_like(outs[0])
                grads = []
                for fn in (ext.roi_align_backward, lite.roi_align_backward):
                    grad = torch.zeros_like(feat)
                    fn(grad_out, rois, feat.new_zeros(0), feat.new_zeros(0),
                       grad, **args)
                    grads.append(grad)
                bwd = max(bwd, (grads[0] - grads[1]).abs().max().item())
    print(f'roi_align: max |forward diff| {fwd:.3g}, '
          f'max |backward diff| {bwd:.3g}')


def compare_focal(ext, rng, device: str) -> None:
    logits = torch.tensor(rng.standard_normal((500, 7)) * 4,
                          dtype=torch.float32, device=device)
    target = torch.tensor(rng.integers(0, 8, 500), device=device)
    empty = logits.new_zeros(0)
    outs = []
    try:
        for fn in (ext.sigmoid_focal_loss_forward,
                   lite.sigmoid_focal_loss_forward):
            out = torch.zeros_like(logits)
            fn(logits, target, empty, out, gamma=2.0, alpha=0.25)
            outs.append(out)
    except RuntimeError as err:  # compiled mmcv has no CPU kernel for it
        print(f'sigmoid_focal_loss: compiled kernel unavailable on {device} '
              f'({str(err).splitlines()[0]})')
        return
    grads = []
    for fn in (ext.sigmoid_focal_loss_backward,
               lite.sigmoid_focal_loss_backward):
        grad = torch.zeros_like(logits)
        fn(logits, target, empty, grad, gamma=2.0, alpha=0.25)
        grads.append(grad)
    print('sigmoid_focal_loss: max |forward diff| '
          f'{(outs[0] - outs[1]).abs().max().item():.3g}, max |backward '
          f'diff| {(grads[0] - grads[1]).abs().max().item():.3g}')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--cases', type=int, default=50)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    ext = compiled_ext()
    rng = np.random.default_rng(args.seed)
    compare_nms(ext, rng, args.device, args.cases)
    compare_roi_align(ext, rng, args.device, args.cases)
    compare_focal(ext, rng, args.device)


if __name__ == '__main__':
    main()
