"""Drop IFKD modules from a distiller config: the Table 4 ablations and the
benchmark's single-module rows are the full IFKD config minus modules."""
import copy
import inspect
from typing import Any, Optional, Sequence, Set

# The connector type of each IFKD module.
MODULE_TYPES = {
    'ede': 'EDEConnector',
    'fdr': 'FDRConnector',
    'hsm': 'HSMConnector'
}


def short_type(cfg: dict) -> str:
    """``'ifkd.EDEConnector'`` (or the class) -> ``'EDEConnector'``."""
    t = cfg.get('type', '')
    return (t if isinstance(t, str) else t.__name__).split('.')[-1]


def _forward_params(connector_cfg: dict) -> Set[str]:
    from ifkd.registry import MODELS
    t = connector_cfg['type']
    cls = MODELS.get(t) if isinstance(t, str) else t
    return set(inspect.signature(cls.forward).parameters) if cls else set()


def _names(spec: dict) -> list:
    names = spec.get('connector')
    return [names] if isinstance(names, str) else list(names or [])


def _each(value: Any) -> list:
    """A spec input is one spec or a list of them."""
    return list(value) if isinstance(value, (list, tuple)) else [value]


def ablate_modules(distiller: dict, keep: Sequence[str]) -> dict:
    """A copy of an IFKD distiller config with only the modules in ``keep``.

    Dropped EDE/FDR connectors are removed from the connector chains (the
    identity); a dropped HSM removes the loss ``mask`` it fed (all ones).
    Side inputs that no remaining connector takes (FDR's ``frs_mask``) and
    connectors nobody uses any more are removed too. Other losses (e.g. the
    AT terms of the ablations) are untouched.

    Args:
        distiller (dict): An ``IFKDDistiller`` config (or its kwargs).
        keep (Sequence[str]): Subset of ``('ede', 'fdr', 'hsm')``.
    """
    unknown = set(keep) - set(MODULE_TYPES)
    if unknown:
        raise ValueError(f'unknown IFKD modules {sorted(unknown)}; choose '
                         f'from {sorted(MODULE_TYPES)}.')
    cfg = copy.deepcopy(distiller)
    connectors = cfg['connectors']
    drop_types = {t for m, t in MODULE_TYPES.items() if m not in keep}
    drop = {n for n, c in connectors.items() if short_type(c) in drop_types}

    def rewrite(spec: dict) -> Optional[dict]:
        spec = dict(spec)
        names = _names(spec)
        if spec.get('recorder') is None and names and names[0] in drop:
            return None  # a dropped node (HSM)
        names = [n for n in names if n not in drop]
        for sub in ('inputs', 'connector_kwargs'):
            if spec.get(sub):
                new = {}
                for k, v in spec[sub].items():
                    parts = [rewrite(s) for s in _each(v)]
                    if all(p is not None for p in parts):
                        new[k] = parts if isinstance(v, (list, tuple)) \
                            else parts[0]
                spec[sub] = new
        if spec.get('connector_kwargs'):
            takes = set().union(
                *(_forward_params(connectors[n]) for n in names))
            spec['connector_kwargs'] = {
                k: v
                for k, v in spec['connector_kwargs'].items() if k in takes
            }
        if not spec.get('connector_kwargs'):
            spec.pop('connector_kwargs', None)
        if not names:
            spec.pop('connector', None)
        elif names != _names(spec):  # keep the spec as written otherwise
            spec['connector'] = names
        return spec

    mappings = {}
    for loss, args in cfg['loss_forward_mappings'].items():
        mappings[loss] = {
            k: r
            for k, r in ((k, rewrite(v)) for k, v in args.items())
            if r is not None
        }
    cfg['loss_forward_mappings'] = mappings
    used: Set[str] = set()

    def collect(spec: dict) -> None:
        used.update(_names(spec))
        for sub in ('inputs', 'connector_kwargs'):
            for v in (spec.get(sub) or {}).values():
                for s in _each(v):
                    collect(s)

    for args in mappings.values():
        for spec in args.values():
            collect(spec)
    cfg['connectors'] = {n: c for n, c in connectors.items() if n in used}
    return cfg
