"""Run by ``torch.distributed.run``: every rank fills the same MobileSAM
cache with ``tools/misc/build_sam_cache.py`` after a common barrier, and
records what it computed and stored to ``<out>/rank<r>.npz``.

    python -m torch.distributed.run --nproc_per_node 2 _fill_sam_cache.py \
        CONFIG OPTIONS_FILE OUT_DIR

OPTIONS_FILE holds the cfg-options dict as a Python literal (tuples stay
tuples).
"""
import ast
import importlib.util
import os
import os.path as osp
import sys

import numpy as np
import torch.distributed as dist


def main() -> None:
    config, options, out = sys.argv[1:4]
    repo = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    import ifkd  # noqa: F401
    from ifkd.engine.launch import load_config
    from ifkd.models.utils.sam_cache import SAMEmbeddingCache
    spec = importlib.util.spec_from_file_location(
        'build_sam_cache', osp.join(repo, 'tools/misc/build_sam_cache.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)

    stored = {}
    save = SAMEmbeddingCache.save

    def recording_save(self, key, levels):
        stored[key] = np.array(levels)
        save(self, key, levels)

    SAMEmbeddingCache.save = recording_save
    with open(options) as f:
        cfg = load_config(config, cfg_options=ast.literal_eval(f.read()))
    dist.init_process_group('gloo')
    dist.barrier()  # both ranks start filling together
    tool.build_sam_cache(cfg, batch_size=1)
    dist.barrier()
    np.savez(osp.join(out, f'rank{dist.get_rank()}.npz'), **stored)
    dist.destroy_process_group()


if __name__ == '__main__':
    os.environ.setdefault('OMP_NUM_THREADS', '1')
    main()
