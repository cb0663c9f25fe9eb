"""ifkd.ShipCNN: output shapes, size, numerics against a hand-built
equivalent, and use as an mmpretrain classifier's backbone."""
import pytest
import torch
from mmpretrain.registry import MODELS as PRETRAIN_MODELS
from torch import nn

import ifkd  # noqa: F401
from ifkd.registry import MODELS


def _ship_cnn(**kwargs):
    return MODELS.build(dict(type='ifkd.ShipCNN', **kwargs))


def test_output_shapes():
    x = torch.randn(2, 1, 64, 48)
    out = _ship_cnn()(x)
    assert [tuple(o.shape) for o in out] == [(2, 256, 8, 6)]
    all_stages = _ship_cnn(out_indices=(0, 1, -1))(x)
    assert [tuple(o.shape) for o in all_stages] == [(2, 64, 32, 24),
                                                    (2, 128, 16, 12),
                                                    (2, 256, 8, 6)]
    rgb = _ship_cnn(in_channels=3, channels=(8, 16), out_indices=(-1, ))(
        torch.randn(1, 3, 32, 32))
    assert [tuple(o.shape) for o in rgb] == [(1, 16, 8, 8)]


def test_parameter_count_by_hand():
    # convs without bias (BN follows): 1*64*9 + 64*128*9 + 128*256*9,
    # BN weight + bias: 2 * (64 + 128 + 256)
    expected = 576 + 73728 + 294912 + 2 * (64 + 128 + 256)
    assert sum(p.numel() for p in _ship_cnn().parameters()) == expected


def _hand_built(channels, in_channels=1):
    layers = []
    for out_ch in channels:
        layers += [
            nn.Conv2d(in_channels, out_ch, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_ch),
            nn.ReLU(),
            nn.MaxPool2d(2, 2)
        ]
        in_channels = out_ch
    return nn.Sequential(*layers)


@pytest.mark.parametrize('train', [False, True])
def test_matches_hand_built_network(train):
    torch.manual_seed(0)
    channels = (4, 8, 16)
    model = _ship_cnn(channels=channels)
    model.init_weights()
    ref = _hand_built(channels)
    ref_convs = [m for m in ref if isinstance(m, nn.Conv2d)]
    ref_bns = [m for m in ref if isinstance(m, nn.BatchNorm2d)]
    for stage, conv, bn in zip(model.stages, ref_convs, ref_bns):
        conv.weight.data.copy_(stage[0].conv.weight)
        # non-trivial BN statistics and affine parameters
        for m in (stage[0].bn, bn):
            torch.manual_seed(len(bn.weight))
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 2.0)
    model.train(train)
    ref.train(train)
    x = torch.randn(3, 1, 24, 24)
    out, = model(x)
    assert torch.allclose(out, ref(x), atol=1e-5)
    # stage outputs are the hand-built network's after each pool
    first = _ship_cnn(channels=channels, out_indices=(0, ))
    first.load_state_dict(model.state_dict())
    first.train(train)
    assert torch.allclose(first(x)[0], ref[:4](x), atol=1e-5)


def test_classifier_with_global_pooling_takes_any_size():
    torch.manual_seed(0)
    classifier = PRETRAIN_MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(type='ifkd.ShipCNN', channels=(4, 8, 16)),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=3, in_channels=16)))
    classifier.eval()
    for size in (32, 56):
        x = torch.randn(2, 1, size, size)
        logits = classifier(x, mode='tensor')
        feat = classifier.backbone(x)[-1]
        by_hand = feat.mean(dim=(2, 3)) @ classifier.head.fc.weight.T + \
            classifier.head.fc.bias
        assert logits.shape == (2, 3)
        assert torch.allclose(logits, by_hand, atol=1e-5)


def test_bad_out_indices_fail():
    with pytest.raises(ValueError, match='out of range for 3 stages'):
        _ship_cnn(out_indices=(3, ))
