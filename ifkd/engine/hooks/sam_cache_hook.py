from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ifkd.models.utils.sam_cache import inspect_train_pipelines
from ifkd.registry import HOOKS


def _sam_caches(model) -> dict:
    if is_model_wrapper(model):
        model = model.module
    distiller = getattr(model, 'distiller', None)
    return getattr(distiller, 'sam_caches', None) or {}


def _batch_augments(model) -> list:
    if is_model_wrapper(model):
        model = model.module
    preprocessor = getattr(model, 'data_preprocessor', None)
    return list(getattr(preprocessor, 'batch_augments', None) or [])


@HOOKS.register_module()
class SAMCacheHook(Hook):
    """Turn the IFKD distiller's MobileSAM cache on or off before training.

    The cache keys an image by its file, flip, resized shape and loading /
    resize settings (which this hook hands it); it is only
    correct if the train pipeline changes nothing else that MobileSAM sees
    (see ``check_pipeline_cacheable``), and if the data preprocessor has no
    batch augmentation. Otherwise the cache is disabled with a warning.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        caches = _sam_caches(runner.model)
        if not caches:
            return
        ok, reason, tag = inspect_train_pipelines(
            runner.cfg.train_dataloader.dataset)
        if ok and _batch_augments(runner.model):
            ok, reason = False, 'the data preprocessor has batch_augments'
        for cache in caches.values():
            cache.enabled = ok
            cache.pipeline_tag = tag
        if ok:
            runner.logger.info(
                'SAM cache on: ' +
                ', '.join(c.cache_dir for c in caches.values()))
        else:
            runner.logger.warning(f'SAM cache disabled: {reason}.')
