# InsDist for a Faster R-CNN pair: the same five FPN levels (P2-P6).
_base_ = './insdist_retinanet_distiller.py'
