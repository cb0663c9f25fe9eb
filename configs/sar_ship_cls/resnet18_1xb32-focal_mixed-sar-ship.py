_base_ = ['./resnet18_1xb32_mixed-sar-ship.py']

# Softmax focal loss (Lin et al., 2017) instead of cross-entropy: down-weights
# the easy, mostly majority-class chips.
model = dict(
    head=dict(
        loss=dict(
            type='ifkd.SoftmaxFocalLoss', gamma=2.0, loss_weight=1.0)))
