# FKD for a Faster R-CNN pair: P2-P5, non-local keys max-pooled by
# 8, 4, 2, 2 as in mmrazor's FBKD Faster R-CNN config.
_base_ = './fkd_retinanet_distiller.py'

distiller = dict(
    connectors=dict(
        **{
            f'{side}_fbkd{i}': dict(sub_sample=True, maxpool_stride=stride)
            for side in ('s', 't')
            for i, stride in enumerate([8, 4, 2, 2])
        }))
