# Export the student of a distillation checkpoint as a plain mmdet checkpoint.
import argparse


def main():
    parser = argparse.ArgumentParser(
        description='Export the student (detector or classifier) of a '
        'distillation checkpoint; evaluate it with the student config and '
        'tools/test.py')
    parser.add_argument('checkpoint', help='distillation checkpoint')
    parser.add_argument('out', help='output checkpoint path')
    args = parser.parse_args()
    import ifkd  # noqa: F401  (safe-load allow-list)
    from ifkd.engine.export import export_student
    out = export_student(args.checkpoint, args.out)
    print(f'saved {len(out["state_dict"])} student tensors to {args.out}')


if __name__ == '__main__':
    main()
