_base_ = ['./resnet50_1xb32_fusar-ship.py']

# Softmax focal loss (Lin et al., 2017) instead of cross-entropy: down-weights
# the easy, mostly majority-class chips.
model = dict(
    head=dict(
        loss=dict(
            type='ifkd.SoftmaxFocalLoss', gamma=2.0, loss_weight=1.0)))
