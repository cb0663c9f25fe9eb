# FGD for a Faster R-CNN pair (P2-P6), with the authors' Faster R-CNN
# settings: alpha 5e-5, beta 2.5e-5, gamma 5e-5, lambda 5e-7, T 0.5.
_base_ = './fgd_retinanet_distiller.py'

distiller = dict(
    distill_losses={
        f'loss_fgd_fpn{i}': dict(
            alpha=5e-5, beta=2.5e-5, gamma=5e-5, lambda_=5e-7, temp=0.5)
        for i in range(5)
    })
