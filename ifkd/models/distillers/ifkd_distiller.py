import inspect
import json
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence, Union

from mmengine.logging import MessageHub
from mmrazor.models.distillers import ConfigurableDistiller
from torch import nn

from ifkd.registry import MODELS
from ..connectors import EDEConnector
from ..utils import MobileSAMEncoder
from ..utils.sam_cache import SAMEmbeddingCache, cached_sam_prob
from .ablation import ablate_modules
from .context import DistillContext

RecordSpec = Dict[str, Any]


@MODELS.register_module()
class IFKDDistiller(ConfigurableDistiller):
    """``ConfigurableDistiller`` with multi-input, chained and shared
    connectors, as IFKD needs (Information Fusion with Knowledge
    Distillation, ACM MM 2024).

    A record spec in ``loss_forward_mappings`` accepts, beyond mmrazor's
    ``recorder``/``from_student``/``record_idx``/``data_idx``/``connector``:

    * ``connector`` as a list of names, applied in order (e.g. EDE then FDR);
    * ``connector_kwargs``: ``dict(arg=<spec>)`` side inputs for the
      connectors whose ``forward`` takes ``arg`` (e.g. FDR's ``frs_mask``);
    * a recorder-less node ``dict(connector=name, inputs=dict(arg=<spec>))``
      calling ``connector(**inputs)`` (e.g. HSM on a target and a student);
      an input may be a list of specs, passed as a list of tensors (e.g.
      all FPN levels to one batched HSM call);
    * ``connector_idx`` picks one item of a connector's list output; the
      node itself runs once for all its indices.

    Connectors whose ``forward`` takes ``context`` receive the step's
    :class:`DistillContext`. Each distinct spec is evaluated once per step, so
    a mask shared by the feature and the head loss is computed once. The
    context is cleared when the losses are computed, also on failure.

    Connectors with a ``log_vars()`` method (FDR's filter spread, HSM's mask
    spread) add its scalars to the output as ``<connector>.<name>``; these
    keys hold no ``'loss'``, so they are logged but not optimised.

    Args:
        sam_checkpoint (str, optional): MobileSAM ``vit_t`` weights
            (``mobile_sam.pt``), required when an ``EDEConnector`` is used.
            MobileSAM is built once per process and kept out of checkpoints.
        warmup_iters (int): Linearly ramp every distillation loss from 0 to
            its full weight over this many iterations. 0 disables it.
        modules (Sequence[str], optional): Keep only these IFKD modules
            (``'ede'``, ``'fdr'``, ``'hsm'``) of the configured connectors,
            as in the paper's Table 4 ablations; see ``ablate_modules``.
            Defaults to None (as configured).
        sam_cache (dict, optional): ``dict(dir=...)`` caches MobileSAM's
            outputs on disk (see ``SAMEmbeddingCache``); ``dir`` gets one
            sub-directory per source if EDE connectors use several.
            ``SAMCacheHook`` turns it off for pipelines it cannot key.
            Defaults to None (no cache).
        **kwargs: See ``ConfigurableDistiller``.
    """

    def __init__(self,
                 sam_checkpoint: Optional[str] = None,
                 warmup_iters: int = 0,
                 sam_cache: Optional[dict] = None,
                 modules: Optional[Sequence[str]] = None,
                 **kwargs) -> None:
        if modules is not None:
            kwargs.update(
                ablate_modules(
                    dict(
                        connectors=kwargs.get('connectors') or {},
                        loss_forward_mappings=kwargs.get(
                            'loss_forward_mappings') or {}), modules))
        self.warmup_iters = warmup_iters
        self._memo: Dict[str, Any] = {}
        self._params: Dict[str, frozenset] = {}
        self.context: Optional[DistillContext] = None
        super().__init__(**kwargs)
        self.sam_checkpoint = sam_checkpoint
        self._sam = None
        # One cache per EDE source; SAMCacheHook toggles their `enabled`.
        self.sam_caches: Dict[str, SAMEmbeddingCache] = {}
        sources = sorted({
            c.source
            for c in self.connectors.values() if isinstance(c, EDEConnector)
        })
        if sources:
            # Fails now, with the fix in the message, if the file is missing.
            self._sam = MobileSAMEncoder.build(sam_checkpoint)
        if sources and sam_cache:
            root = sam_cache['dir']
            self.sam_caches = {
                s: SAMEmbeddingCache(
                    root if len(sources) == 1 else osp.join(root, s),
                    self._sam.checkpoint, s,
                    **{k: v
                       for k, v in sam_cache.items() if k != 'dir'})
                for s in sources
            }

    def set_context(self, context: Optional[DistillContext]) -> None:
        """Start a new step: set its batch context and clear the memo."""
        if context is not None and self._sam is not None:
            context.sam_fn = self._sam_prob
        self.context = context
        self._memo = {}

    def _sam_prob(self, context: DistillContext, source: str):
        return cached_sam_prob(self._sam, source, context,
                                 self.sam_caches.get(source))

    def _connector_names(self, connector: Union[None, str, List[str]]):
        if connector is None:
            return []
        return [connector] if isinstance(connector, str) else list(connector)

    def _forward_params(self, name: str) -> frozenset:
        """Argument names of a connector's ``forward``, inspected once."""
        if name not in self._params:
            self._params[name] = frozenset(
                inspect.signature(self.connectors[name].forward).parameters)
        return self._params[name]

    def _call_connector(self, name: str, *args, **kwargs):
        module = self.connectors[name]
        params = self._forward_params(name)
        if 'context' in params:
            kwargs['context'] = self.context
        kwargs = {k: v for k, v in kwargs.items() if k in params}
        return module(*args, **kwargs)

    def get_record(self,
                   recorder: Optional[str] = None,
                   from_student: bool = True,
                   record_idx: int = 0,
                   data_idx: Optional[int] = None,
                   connector: Union[None, str, List[str]] = None,
                   connector_idx: Optional[int] = None,
                   connector_kwargs: Optional[Dict[str, RecordSpec]] = None,
                   inputs: Optional[Dict[str, RecordSpec]] = None) -> Any:
        spec = dict(
            recorder=recorder, from_student=from_student,
            record_idx=record_idx, data_idx=data_idx, connector=connector,
            connector_kwargs=connector_kwargs, inputs=inputs)
        if connector_idx is not None:  # index the shared, memoised output
            return self.get_record(**spec)[connector_idx]
        key = json.dumps(spec, sort_keys=True, default=str)
        if key not in self._memo:
            self._memo[key] = self._evaluate(**spec)
        return self._memo[key]

    def _get_input(self, spec: Union[RecordSpec, List[RecordSpec]]) -> Any:
        if isinstance(spec, dict):
            return self.get_record(**spec)
        return [self.get_record(**s) for s in spec]

    def _evaluate(self, recorder, from_student, record_idx, data_idx,
                  connector, connector_kwargs, inputs):
        names = self._connector_names(connector)
        if recorder is None:  # a node: connector(**inputs)
            kwargs = {k: self._get_input(v) for k, v in inputs.items()}
            data = self._call_connector(names[0], **kwargs)
            names = names[1:]
        else:
            manager = (
                self.student_recorders
                if from_student else self.teacher_recorders)
            data = manager.get_recorder(recorder).get_record_data(
                record_idx, data_idx)
        side = {
            k: self.get_record(**v)
            for k, v in (connector_kwargs or {}).items()
        }
        for name in names:
            data = self._call_connector(name, data, **side)
        return data

    def compute_distill_losses(self) -> Dict[str, Any]:
        try:
            losses = super().compute_distill_losses()
        finally:
            self.set_context(None)
        scale = self._warmup_scale()
        if scale < 1:
            losses = {k: v * scale for k, v in losses.items()}
        losses.update(self.connector_log_vars())
        return losses

    def connector_log_vars(self) -> Dict[str, Any]:
        """``<connector>.<name>`` scalars of the connectors' ``log_vars``."""
        out = {}
        for name, module in self.connectors.items():
            if hasattr(module, 'log_vars'):
                for key, value in module.log_vars().items():
                    out[f'{name}.{key}'] = value
        return out

    def _warmup_scale(self) -> float:
        if self.warmup_iters <= 0:
            return 1.
        it = MessageHub.get_current_instance().get_info('iter', 0)
        return min(1., (it + 1) / self.warmup_iters)

    def _check_loss_forward_mappings(self, losses: nn.ModuleDict,
                                     loss_forward_mappings: Dict[str, Dict],
                                     student_recorders,
                                     teacher_recorders) -> None:
        for loss_name, mappings in loss_forward_mappings.items():
            if loss_name not in losses:
                raise KeyError(
                    f'loss_forward_mappings has {loss_name!r} but '
                    f'distill_losses does not; keys must match '
                    f'({sorted(losses.keys())}).')
            params = inspect.signature(losses[loss_name].forward).parameters
            for arg, spec in mappings.items():
                if arg not in params:
                    raise KeyError(
                        f'{loss_name}: {type(losses[loss_name]).__name__}.'
                        f'forward has no argument {arg!r}; it takes '
                        f'{list(params)}.')
                self._check_spec(f'{loss_name}.{arg}', spec,
                                 student_recorders, teacher_recorders)

    def _check_spec(self, where: str, spec: RecordSpec, student_recorders,
                    teacher_recorders) -> None:
        for name in self._connector_names(spec.get('connector')):
            if name not in self.connectors:
                raise KeyError(f'{where}: connector {name!r} is not defined '
                               f'in `connectors` ({list(self.connectors)}).')
        recorder = spec.get('recorder')
        if recorder is None:
            if not spec.get('connector') or not spec.get('inputs'):
                raise KeyError(
                    f'{where}: a spec needs `recorder` (+ `from_student`) or '
                    f'a `connector` with `inputs`.')
        else:
            if not isinstance(spec.get('from_student'), bool):
                raise TypeError(f'{where}: `from_student` must be a bool.')
            manager = (
                student_recorders
                if spec['from_student'] else teacher_recorders)
            if recorder not in manager.recorders:
                side = 'student' if spec['from_student'] else 'teacher'
                raise KeyError(
                    f'{where}: recorder {recorder!r} is not in '
                    f'{side}_recorders ({list(manager.recorders)}).')
        for sub in ('inputs', 'connector_kwargs'):
            for arg, sub_spec in (spec.get(sub) or {}).items():
                sub_specs = [sub_spec] if isinstance(sub_spec, dict) else (
                    list(sub_spec) if sub == 'inputs' else [])
                if not sub_specs or not all(
                        isinstance(x, dict) for x in sub_specs):
                    allowed = ('a spec dict or a non-empty list of them'
                               if sub == 'inputs' else 'a spec dict')
                    raise TypeError(f'{where}.{sub}.{arg}: expected '
                                    f'{allowed}, got {sub_spec!r}.')
                for i, one in enumerate(sub_specs):
                    self._check_spec(f'{where}.{sub}.{arg}[{i}]', one,
                                     student_recorders, teacher_recorders)
