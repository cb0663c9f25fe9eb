"""The main job on the built-in synthetic SAR-aircraft data, end to end:

1. generate the synthetic set (SAR-AIRcraft-1.0 layout) if it is missing;
2. train the teacher (ResNet50-FPN) and the student baseline;
3. distill the student with IFKD (EDE + FDR + HSM) from the teacher;
4. export the IFKD student and evaluate all three with tools/test.py;
5. print and save (results.md / results.csv) the mAP / AP50 / AP75 table,
   built by tools/analysis_tools/collect_results.py.

Re-running skips the stages whose outputs exist.

Every stage runs the standard tools in a subprocess, exactly as a user would.
"""
import argparse
import os
import os.path as osp
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
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
    p.add_argument('--epochs', type=int, default=12)
    p.add_argument(
        '--sam-checkpoint', default='checkpoints/mobile_sam.pt',
        help='MobileSAM vit_t weights; without them an untrained vit_t is '
        'saved and used, so the pipeline still runs offline')
    return p.parse_args()


def run(cmd, log):
    print('$', ' '.join(cmd), flush=True)
    os.makedirs(osp.dirname(log), exist_ok=True)
    with open(log, 'w') as f:
        proc = subprocess.run(cmd, cwd=ROOT, stdout=f, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        with open(log) as f:
            sys.stdout.write(''.join(f.readlines()[-40:]))
        sys.exit(f'failed ({proc.returncode}): see {log}')


def ensure_sam_checkpoint(path, work_dir):
    if osp.isfile(path):
        return path
    out = osp.join(work_dir, 'mobile_sam_untrained.pt')
    if not osp.isfile(out):
        import warnings

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


def main():
    args = parse_args()
    py = sys.executable
    start = time.time()
    os.makedirs(osp.join(ROOT, args.work_dir), exist_ok=True)
    wd = osp.join(ROOT, args.work_dir)
    ds = 'synthetic-sar-aircraft'
    folder, prefix = DETECTORS[args.detector]
    if not osp.isfile(osp.join(ROOT, args.data_root, 'ImageSets', 'Main',
                               'train.txt')):
        run([py, 'tools/misc/gen_synthetic_sar_aircraft.py', '--out',
             args.data_root, '--num-train', str(args.num_train),
             '--num-test', str(args.num_test), '--img-size',
             str(args.img_size)], osp.join(wd, 'data.log'))
    size = f'({args.img_size},{args.img_size})'
    # warm up over the first fifth of this short run (batch size 4)
    warmup = max(1, -(-args.num_train // 4) * args.epochs // 5)
    common = [f'train_cfg.max_epochs={args.epochs}',
              f'train_dataloader.dataset.data_root={args.data_root}/',
              f'val_dataloader.dataset.data_root={args.data_root}/',
              f'test_dataloader.dataset.data_root={args.data_root}/',
              f'val_evaluator.data_root={args.data_root}/',
              f'test_evaluator.data_root={args.data_root}/',
              f'train_dataloader.dataset.pipeline.2.scale={size}',
              f'val_dataloader.dataset.pipeline.1.scale={size}',
              f'test_dataloader.dataset.pipeline.1.scale={size}',
              f'param_scheduler.0.end={warmup}']
    teacher_cfg = f'configs/{folder}/{prefix}_r50_fpn_1x_{ds}.py'
    student_cfg = f'configs/{folder}/{prefix}_{args.student}_fpn_1x_{ds}.py'
    ifkd_cfg = (f'configs/ifkd/ifkd_{prefix}_r50-{args.student}_fpn_1x_'
                f'{ds}.py')
    ckpt = f'epoch_{args.epochs}.pth'
    sam = ensure_sam_checkpoint(osp.join(ROOT, args.sam_checkpoint), wd)

    runs = dict(
        teacher=(teacher_cfg, []),
        student=(student_cfg, []),
        ifkd=(ifkd_cfg, [
            f'model.teacher_ckpt={wd}/teacher/{ckpt}',
            f'model.distiller.sam_checkpoint={sam}',
            f'model.distiller.sam_cache.dir={wd}/sam_cache'
        ]))
    timings = {}
    for name, (cfg, extra) in runs.items():
        if osp.isfile(f'{wd}/{name}/{ckpt}'):  # re-running skips done stages
            continue
        t0 = time.time()
        run([py, 'tools/train.py', cfg, '--work-dir', f'{wd}/{name}',
             '--resume', '--cfg-options', *common, *extra],
            osp.join(wd, f'{name}.log'))
        timings[name] = time.time() - t0
    run([py, 'tools/model_converters/export_student.py',
         f'{wd}/ifkd/{ckpt}', f'{wd}/ifkd/student_{ckpt}'],
        osp.join(wd, 'export.log'))

    # Test dirs are named after the config that made the weights, which is
    # how collect_results.py tells teacher, student and IFKD apart.
    evals = [(teacher_cfg, f'{wd}/teacher/{ckpt}', teacher_cfg),
             (student_cfg, f'{wd}/student/{ckpt}', student_cfg),
             (student_cfg, f'{wd}/ifkd/student_{ckpt}', ifkd_cfg)]
    test_dirs = []
    for cfg, weights, origin in evals:
        out = osp.join(wd, 'test', osp.splitext(osp.basename(origin))[0])
        run([py, 'tools/test.py', cfg, weights, '--work-dir', out,
             '--cfg-options', *common], out + '.log')
        test_dirs.append(out)
    run([py, 'tools/analysis_tools/collect_results.py', *test_dirs, '--out',
         osp.join(wd, 'results.md'), '--csv', osp.join(wd, 'results.csv')],
        osp.join(wd, 'collect.log'))
    with open(osp.join(wd, 'results.md')) as f:
        print(f.read())
    print('train time (s): ' + ', '.join(
        f'{k} {v:.0f}' for k, v in timings.items()) +
        f'; total {time.time() - start:.0f} s')


if __name__ == '__main__':
    main()
