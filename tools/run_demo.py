"""The main job on the built-in synthetic SAR-aircraft data, end to end:

1. generate the synthetic set (SAR-AIRcraft-1.0 layout) if it is missing;
2. train the teacher (ResNet50-FPN) and the student baseline;
3. distill the student with IFKD (EDE + FDR + HSM) from the teacher;
4. export the IFKD student and evaluate all three;
5. print and save (results.md / results.csv) the mAP / AP50 / AP75 table,
   built by tools/analysis_tools/collect_results.py.

Re-running skips the stages whose outputs exist.

Every stage calls the functions behind tools/train.py, tools/test.py,
export_student.py and collect_results.py, in this one process: the
libraries are imported once and MobileSAM is built once.
"""
import argparse
import json
import os
import os.path as osp
import shutil
import sys
import time
import warnings

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, osp.join(ROOT, 'tools', 'analysis_tools'))
DETECTORS = dict(
    retinanet=('retinanet', 'retinanet'),
    faster_rcnn=('faster_rcnn', 'faster-rcnn'))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--detector', choices=sorted(DETECTORS),
                   default='retinanet')
    p.add_argument('--student', choices=['mbv2', 'r18'], default='mbv2')
    p.add_argument('--data-root', default='data/synthetic-sar-aircraft')
    p.add_argument('--work-dir', default='work_dirs/demo')
    p.add_argument('--num-train', type=int, default=16)
    p.add_argument('--num-test', type=int, default=8)
    p.add_argument('--img-size', type=int, default=128,
                   help='side of the generated images and of the resize')
    p.add_argument(
        '--scene-size', type=int, default=512,
        help='aircraft are as many px wide as in a scene of this side (the '
        'images are crops of it); see gen_synthetic_sar_aircraft.py')
    p.add_argument('--epochs', type=int, default=12)
    p.add_argument('--batch-size', type=int, default=4)
    p.add_argument(
        '--sam-checkpoint', default='checkpoints/mobile_sam.pt',
        help='MobileSAM vit_t weights; without them an untrained vit_t is '
        'saved and used, so the pipeline still runs offline')
    return p.parse_args()


def ensure_sam_checkpoint(path, work_dir):
    if osp.isfile(path):
        return path
    out = osp.join(work_dir, 'mobile_sam_untrained.pt')
    if not osp.isfile(out):
        import torch
        with warnings.catch_warnings():  # timm deprecation noise
            warnings.simplefilter('ignore')
            from mobile_sam import sam_model_registry
        torch.manual_seed(0)
        torch.save(sam_model_registry['vit_t']().state_dict(), out)
    print(f'WARNING: {path} not found; using an UNTRAINED MobileSAM saved to '
          f'{out}. EDE then perturbs with untrained features: put the real '
          'weights (mobile_sam.pt) there for meaningful results.')
    return out


def common_options(args) -> dict:
    """Overrides shared by every stage: data, image size, schedule."""
    root = args.data_root + '/'
    size = (args.img_size, args.img_size)
    iters = -(-args.num_train // args.batch_size) * args.epochs
    return {
        'train_cfg.max_epochs': args.epochs,
        'train_dataloader.batch_size': args.batch_size,
        'train_dataloader.dataset.data_root': root,
        'test_dataloader.dataset.data_root': root,
        'test_evaluator.data_root': root,
        'train_dataloader.dataset.pipeline.2.scale': size,
        'test_dataloader.dataset.pipeline.1.scale': size,
        # Warm up over the first fifth, LR steps at 2/3 and 11/12 (as 8, 11
        # of 12 epochs in the 1x schedule).
        'param_scheduler.0.end': max(1, iters // 5),
        'param_scheduler.1.milestones': [
            max(1, args.epochs * 2 // 3), max(1, args.epochs * 11 // 12)
        ],
        # The test stage evaluates; no validation or extra checkpoints.
        'val_cfg': None,
        'val_dataloader': None,
        'val_evaluator': None,
        'default_hooks.checkpoint.interval': args.epochs,
        'default_hooks.logger.interval': 10,
    }


def main():
    args = parse_args()
    start = time.time()
    os.chdir(ROOT)
    wd = osp.join(ROOT, args.work_dir)
    import collect_results

    from ifkd.datasets.synthetic import (GENERATOR_FILE, generate_dataset,
                                         generator_args)
    from ifkd.engine.export import export_student
    from ifkd.engine.launch import test, train

    ds = 'synthetic-sar-aircraft'
    folder, prefix = DETECTORS[args.detector]
    gen = generator_args(
        num_train=args.num_train,
        num_test=args.num_test,
        img_size=args.img_size,
        scene_size=args.scene_size)
    made_with = osp.join(args.data_root, GENERATOR_FILE)
    if not osp.isfile(made_with) or json.load(open(made_with)) != gen:
        if osp.isdir(wd) and os.listdir(wd):
            sys.exit(f'{args.data_root} is missing or was generated with '
                     f'other settings than {gen}, and {wd} holds results '
                     'made from it: move it away (or pass --work-dir) first.')
        print(f'== generating {args.data_root}: {gen}', flush=True)
        shutil.rmtree(args.data_root, ignore_errors=True)
        generate_dataset(args.data_root, **gen)
    os.makedirs(wd, exist_ok=True)
    common = common_options(args)
    teacher_cfg = f'configs/{folder}/{prefix}_r50_fpn_1x_{ds}.py'
    student_cfg = f'configs/{folder}/{prefix}_{args.student}_fpn_1x_{ds}.py'
    ifkd_cfg = (f'configs/ifkd/ifkd_{prefix}_r50-{args.student}_fpn_1x_'
                f'{ds}.py')
    ckpt = f'epoch_{args.epochs}.pth'
    sam = ensure_sam_checkpoint(args.sam_checkpoint, wd)

    runs = dict(
        teacher=(teacher_cfg, {}),
        student=(student_cfg, {}),
        ifkd=(ifkd_cfg, {
            'model.teacher_ckpt': f'{wd}/teacher/{ckpt}',
            'model.distiller.sam_checkpoint': sam,
            'model.distiller.sam_cache.dir': f'{wd}/sam_cache'
        }))
    timings = {}
    for name, (cfg, extra) in runs.items():
        if osp.isfile(f'{wd}/{name}/{ckpt}'):  # re-running skips done stages
            continue
        print(f'== training {name}: {cfg}', flush=True)
        t0 = time.time()
        train(cfg, f'{wd}/{name}', resume='auto',
              cfg_options={**common, **extra})
        timings[name] = time.time() - t0
    export_student(f'{wd}/ifkd/{ckpt}', f'{wd}/ifkd/student_{ckpt}')

    # Test dirs are named after the config that made the weights, which is
    # how collect_results.py tells teacher, student and IFKD apart.
    evals = [(teacher_cfg, f'{wd}/teacher/{ckpt}', teacher_cfg),
             (student_cfg, f'{wd}/student/{ckpt}', student_cfg),
             (student_cfg, f'{wd}/ifkd/student_{ckpt}', ifkd_cfg)]
    test_dirs = []
    t0 = time.time()
    for cfg, weights, origin in evals:
        out = osp.join(wd, 'test', osp.splitext(osp.basename(origin))[0])
        print(f'== testing {weights}', flush=True)
        test(cfg, weights, out, cfg_options=common)
        test_dirs.append(out)
    timings['test'] = time.time() - t0
    collect_results.main([
        *test_dirs, '--out',
        osp.join(wd, 'results.md'), '--csv',
        osp.join(wd, 'results.csv')
    ])
    with open(osp.join(wd, 'results.md')) as f:
        print(f.read())
    print('time (s): ' + ', '.join(f'{k} {v:.0f}'
                                   for k, v in timings.items()) +
          f'; total {time.time() - start:.0f} s')


if __name__ == '__main__':
    main()
