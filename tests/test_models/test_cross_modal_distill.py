"""CrossModalDistill: the teacher sees one modality, the student another;
the student never sees the teacher's, the teacher gets no gradient, and
the KD loss is the one computed by hand from each model on its own view."""
import copy

import numpy as np
import pytest
import torch
from mmpretrain.structures import DataSample

from ifkd.registry import MODELS, TRANSFORMS

TAU = 4.0


def _classifier(in_channels, mean, std):
    return dict(
        type='mmpretrain.ImageClassifier',
        data_preprocessor=dict(
            type='mmpretrain.ClsDataPreprocessor', mean=mean, std=std),
        backbone=dict(type='ifkd.ShipCNN', in_channels=in_channels,
                      channels=(8, 16), out_indices=(1, )),
        neck=dict(type='mmpretrain.GlobalAveragePooling'),
        head=dict(type='mmpretrain.LinearClsHead', num_classes=3,
                  in_channels=16,
                  loss=dict(type='mmpretrain.CrossEntropyLoss')))


EO = _classifier(3, [120., 110., 100.], [50., 40., 30.])
SAR = _classifier(1, [60.], [20.])
KD = dict(
    type='ifkd.IFKDDistiller',
    student_recorders=dict(
        s_logits=dict(type='mmrazor.ModuleOutputs', source='head.fc')),
    teacher_recorders=dict(
        t_logits=dict(type='mmrazor.ModuleOutputs', source='head.fc')),
    distill_losses=dict(loss_kd=dict(type='mmrazor.KLDivergence', tau=TAU)),
    loss_forward_mappings=dict(
        loss_kd=dict(
            preds_S=dict(recorder='s_logits', from_student=True),
            preds_T=dict(recorder='t_logits', from_student=False))))


def _algorithm(**kwargs):
    torch.manual_seed(0)
    cfg = dict(type='ifkd.CrossModalDistill', architecture=SAR,
               teacher=EO, teacher_modality='eo', student_modality='sar',
               distiller=KD)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def _batch(n=4, seed=0, eo_channels=3, sar_channels=1, modalities=None):
    g = torch.Generator().manual_seed(seed)
    images = dict(
        eo=[torch.randint(0, 256, (eo_channels, 16, 16), generator=g,
                          dtype=torch.uint8) for _ in range(n)],
        sar=[torch.randint(0, 256, (sar_channels, 16, 16), generator=g,
                           dtype=torch.uint8) for _ in range(n)])
    if modalities is not None:
        images = {k: images[k] for k in modalities}
    samples = [DataSample().set_gt_label(i % 3) for i in range(n)]
    return dict(inputs=images, data_samples=samples)


def _poisoned(batch):
    out = copy.deepcopy(batch)
    out['inputs']['eo'] = [255 - x for x in out['inputs']['eo']]
    return out


def _kd_by_hand(t_logits, s_logits):
    """tau^2 * mean over the batch of KL(softmax(t/tau) || softmax(s/tau))."""
    t = t_logits.astype(np.float64) / TAU
    s = s_logits.astype(np.float64) / TAU
    p = np.exp(t - t.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    log_q = s - s.max(1, keepdims=True)
    log_q -= np.log(np.exp(log_q).sum(1, keepdims=True))
    return TAU**2 * (p * (np.log(p) - log_q)).sum(1).mean()


def _loss(model, batch):
    data = model.data_preprocessor(batch, True)
    return model(data['inputs'], data['data_samples'], mode='loss')


def test_kd_loss_routes_eo_to_teacher_and_sar_to_student():
    model = _algorithm()
    model.train()
    batch = _batch()
    losses = _loss(model, batch)
    # Each model alone on its own normalised modality.
    eo = (torch.stack(batch['inputs']['eo']).float() -
          torch.tensor([120., 110., 100.]).view(1, 3, 1, 1)) / \
        torch.tensor([50., 40., 30.]).view(1, 3, 1, 1)
    sar = (torch.stack(batch['inputs']['sar']).float() - 60.) / 20.
    with torch.no_grad():
        t = model.teacher(eo, mode='tensor')
        # train mode as in the step: BN uses the batch's statistics
        s = model.student(sar, mode='tensor')
    want = _kd_by_hand(t.numpy(), s.numpy())
    assert losses['distill.loss_kd'].item() == pytest.approx(want, rel=1e-5)
    assert want > 1e-4


def test_poisoning_the_teacher_modality_changes_no_student_output():
    model = _algorithm()
    model.train()
    batch = _batch()
    bad = _poisoned(batch)
    clean, poisoned = _loss(model, batch), _loss(model, bad)
    assert torch.equal(clean['student.loss'], poisoned['student.loss'])
    # ... while the teacher did see the poisoned EO.
    assert not torch.isclose(clean['distill.loss_kd'],
                             poisoned['distill.loss_kd'])
    model.eval()
    for mode in ('predict', 'tensor'):
        outs = [
            model(**model.data_preprocessor(b, False), mode=mode)
            for b in (_batch(), _poisoned(_batch()))
        ]
        if mode == 'predict':
            outs = [torch.stack([o.pred_score for o in out]) for out in outs]
        assert torch.equal(outs[0], outs[1])
    # Evaluation is the student alone, and needs no EO at all.
    sar_only = _batch(modalities=['sar'])
    plain = dict(inputs=sar_only['inputs']['sar'],
                 data_samples=sar_only['data_samples'])
    with torch.no_grad():
        alone = model.student(
            **model.student.data_preprocessor(plain, False), mode='tensor')
        for b in (sar_only, plain):
            got = model(**model.data_preprocessor(b, False), mode='tensor')
            assert torch.allclose(got, alone)


def test_teacher_gets_no_gradient_and_keeps_its_statistics():
    model = _algorithm()
    model.train()
    stats = {k: v.clone() for k, v in model.teacher.state_dict().items()}
    losses = _loss(model, _batch())
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert all(p.grad is None for p in model.teacher.parameters())
    assert all(p.grad is not None and p.grad.abs().sum() > 0
               for p in model.student.parameters())
    for k, v in model.teacher.state_dict().items():
        assert torch.equal(v, stats[k]), k  # eval mode: BN stats untouched


def test_trainable_teacher_trains_on_its_own_modality():
    model = _algorithm(teacher_trainable=True)
    model.train()
    losses = _loss(model, _batch())
    assert 'teacher.loss' in losses and 'student.loss' in losses
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert all(p.grad is not None for p in model.teacher.parameters())


def test_missing_modality_partner_and_channel_errors():
    model = _algorithm()
    model.train()
    with pytest.raises(KeyError, match="teacher sees modalities.*'eo'"):
        _loss(model, _batch(modalities=['sar']))
    model.eval()
    data = model.data_preprocessor(_batch(modalities=['eo']), False)
    with pytest.raises(KeyError, match='modality partner is missing'):
        model(**data, mode='predict')
    with pytest.raises(ValueError, match="'sar' has 3 channels.*normalises 1"):
        model.data_preprocessor(_batch(sar_channels=3), True)
    # A sensor neither model sees is dropped by the algorithm's
    # preprocessor; a stand-alone one refuses it.
    extra = _batch()
    extra['inputs']['ir'] = [torch.zeros(1, 16, 16)] * 4
    assert sorted(model.data_preprocessor(extra, True)['inputs']) == \
        ['eo', 'sar']
    from ifkd.models.data_preprocessors import MultiModalDataPreprocessor
    strict = MultiModalDataPreprocessor(
        dict(model.data_preprocessor.preprocessors), label_modality='sar')
    with pytest.raises(KeyError, match=r"modalities \['ir'\]"):
        strict(extra, True)


def test_multi_name_modality_concatenates_and_needs_preprocessors():
    both = _classifier(4, [0.] * 4, [1.] * 4)
    with pytest.raises(ValueError, match=r"modalities \['eo', 'sar'\]"):
        _algorithm(architecture=both, student_modality=('eo', 'sar'))
    model = _algorithm(
        architecture=both, student_modality=('sar', 'eo'),
        preprocessors=dict(
            sar=dict(type='mmpretrain.ClsDataPreprocessor', mean=[60.],
                     std=[20.]),
            eo=dict(type='mmpretrain.ClsDataPreprocessor',
                    mean=[120., 110., 100.], std=[50., 40., 30.])))
    batch = _batch()
    data = model.data_preprocessor(batch, False)
    x = model._split_inputs(data['inputs'])[1]
    assert x.shape == (4, 4, 16, 16)
    sar = (batch['inputs']['sar'][2].float() - 60.) / 20.
    eo_g = (batch['inputs']['eo'][2][1].float() - 110.) / 40.
    assert torch.allclose(x[2, 0], sar[0]) and torch.allclose(x[2, 2], eo_g)


def test_pack_multi_modal_inputs():
    pack = TRANSFORMS.build(
        dict(type='ifkd.PackMultiModalInputs',
             modalities=dict(eo='eo_img', sar='sar_img')))
    eo = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    sar = np.full((2, 3), 7, dtype=np.uint8)
    out = pack(dict(eo_img=eo, sar_img=sar, gt_label=2, img_path='a.png'))
    assert out['inputs']['eo'].shape == (3, 2, 3)
    assert torch.equal(out['inputs']['eo'][1], torch.from_numpy(eo[..., 1]))
    assert out['inputs']['sar'].shape == (1, 2, 3)
    assert out['data_samples'].gt_label.tolist() == [2]
    assert out['data_samples'].img_path == 'a.png'
    out = pack(dict(sar_img=sar, gt_label=0))
    assert list(out['inputs']) == ['sar']
    with pytest.raises(KeyError, match='None of the modality keys'):
        pack(dict(img=sar))


def test_export_gives_a_plain_student(tmp_path):
    from ifkd.engine.export import export_student
    model = _algorithm()
    ckpt = tmp_path / 'distill.pth'
    torch.save(dict(state_dict=model.state_dict(), meta={}), ckpt)
    out = tmp_path / 'student.pth'
    export_student(str(ckpt), str(out))
    student = MODELS.build(SAR)
    student.load_state_dict(torch.load(out)['state_dict'])
    for k, v in model.student.state_dict().items():
        assert torch.equal(student.state_dict()[k], v), k


def test_every_modality_preprocessor_sees_the_samples():
    """mmseg's preprocessor needs the samples in training (it pads the
    masks with the images): the non-label modality gets a copy."""
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    from ifkd.models.data_preprocessors import MultiModalDataPreprocessor
    seg = dict(type='mmseg.SegDataPreProcessor', size=(8, 8))
    pre = MultiModalDataPreprocessor(
        dict(sar=dict(seg, mean=[10.], std=[2.]),
             optical=dict(seg, mean=[1., 2., 3.], std=[1., 1., 1.])),
        label_modality='sar')
    sample = SegDataSample(gt_sem_seg=PixelData(
        data=torch.ones(1, 6, 6, dtype=torch.long)))
    sample.set_metainfo(dict(img_shape=(6, 6), ori_shape=(6, 6)))
    data = pre(dict(inputs=dict(sar=[torch.full((1, 6, 6), 14.)],
                                optical=[torch.full((3, 6, 6), 5.)]),
                    data_samples=[sample]), True)
    sar, opt = data['inputs']['sar'], data['inputs']['optical']
    assert sar.shape == (1, 1, 8, 8) and opt.shape == (1, 3, 8, 8)
    assert torch.equal(sar[0, 0, :6, :6], torch.full((6, 6), 2.))
    assert torch.equal(opt[0, :, 0, 0], torch.tensor([4., 3., 2.]))
    (out, ) = data['data_samples']
    assert out.gt_sem_seg.data.shape == (1, 8, 8)  # padded once, by sar's
    assert out.gt_sem_seg.data[0, :6, :6].eq(1).all()
