"""SARAircraftDataset + VOCCocoMetric on the real SAR-AIRcraft-1.0 sample."""
import json
import os.path as osp

import numpy as np
import pytest
import torch

from ifkd.datasets import SARAircraftDataset
from ifkd.datasets.voc_parsing import SAR_AIRCRAFT_CLASSES, voc_split_to_coco
from ifkd.evaluation import VOCCocoMetric
from ifkd.registry import DATASETS, METRICS
from .test_voc_parsing import SAMPLE, reference


def build_dataset(ann_file, **kwargs):
    return DATASETS.build(
        dict(
            type='ifkd.SARAircraftDataset',
            data_root=SAMPLE,
            ann_file=ann_file,
            data_prefix=dict(img='JPEGImages/'),
            pipeline=[],
            **kwargs))


def gt_as_predictions(dataset, jitter=0.0):
    """Data samples whose predictions are the ground truth (score 1)."""
    samples = []
    for info in dataset:
        boxes = np.array([i['bbox'] for i in info['instances']],
                         np.float32).reshape(-1, 4)
        boxes[:, 2:] += jitter * (boxes[:, 2:] - boxes[:, :2])
        samples.append(
            dict(
                img_id=info['img_id'],
                ori_shape=(info['height'], info['width']),
                pred_instances=dict(
                    bboxes=torch.from_numpy(boxes),
                    scores=torch.ones(len(boxes)),
                    labels=torch.tensor(
                        [i['bbox_label'] for i in info['instances']],
                        dtype=torch.long))))
    return samples


def evaluate(metric, dataset, samples):
    metric.dataset_meta = dataset.metainfo
    metric.process({}, samples)
    return metric.evaluate(len(samples))


def test_voc_split_equals_json(tmp_path):
    voc = build_dataset('ImageSets/Main/train.txt')
    assert isinstance(voc, SARAircraftDataset)
    json_file = tmp_path / 'train.json'
    json_file.write_text(
        json.dumps(
            voc_split_to_coco(f'{SAMPLE}/ImageSets/Main/train.txt',
                              SAR_AIRCRAFT_CLASSES)))
    coco = build_dataset(str(json_file))
    assert voc.metainfo['classes'] == SAR_AIRCRAFT_CLASSES
    assert len(voc) == len(coco) == 7
    for a, b, (fname, w, h, objs) in zip(voc, coco, reference('train')):
        assert a == b
        assert a['img_path'] == osp.join(SAMPLE, 'JPEGImages', fname)
        assert (a['width'], a['height']) == (w, h)
        assert [(SAR_AIRCRAFT_CLASSES[i['bbox_label']], i['bbox'])
                for i in a['instances']] == objs


def test_filter_cfg_and_subset_classes():
    full = build_dataset('ImageSets/Main/train.txt')
    sub = build_dataset(
        'ImageSets/Main/train.txt',
        metainfo=dict(classes=('A220', 'other')),
        filter_cfg=dict(filter_empty_gt=True))
    keep = [
        i for i in full
        if any(SAR_AIRCRAFT_CLASSES[x['bbox_label']] in ('A220', 'other')
               for x in i['instances'])
    ]
    assert len(sub) == len(keep) < len(full)
    for info in sub:
        assert {x['bbox_label'] for x in info['instances']} <= {0, 1}


def test_unknown_ann_file_type():
    with pytest.raises(ValueError, match=r'COCO \.json or a VOC split \.txt'):
        build_dataset('ImageSets/Main/train.csv')


@pytest.mark.parametrize('split', ['train', 'test'])
def test_metric_gt_as_prediction_is_perfect(split):
    dataset = build_dataset(f'ImageSets/Main/{split}.txt')
    metric = METRICS.build(
        dict(
            type='ifkd.VOCCocoMetric',
            data_root=SAMPLE,
            ann_file=f'ImageSets/Main/{split}.txt'))
    assert isinstance(metric, VOCCocoMetric)
    res = evaluate(metric, dataset, gt_as_predictions(dataset))
    assert res['coco/bbox_mAP'] == pytest.approx(1.0)
    assert res['coco/bbox_mAP_50'] == pytest.approx(1.0)
    assert res['coco/bbox_mAP_75'] == pytest.approx(1.0)


def test_metric_is_sensitive_and_json_equivalent(tmp_path):
    dataset = build_dataset('ImageSets/Main/train.txt')
    bad = gt_as_predictions(dataset, jitter=0.3)  # IoU = 1 / 1.3**2 ~ 0.59
    voc = evaluate(
        VOCCocoMetric(data_root=SAMPLE, ann_file='ImageSets/Main/train.txt'),
        dataset, bad)
    assert voc['coco/bbox_mAP_50'] == pytest.approx(1.0)
    assert voc['coco/bbox_mAP'] < 0.5

    json_file = tmp_path / 'train.json'
    json_file.write_text(
        json.dumps(
            voc_split_to_coco(f'{SAMPLE}/ImageSets/Main/train.txt',
                              SAR_AIRCRAFT_CLASSES)))
    coco = evaluate(
        VOCCocoMetric(ann_file=str(json_file)), dataset,
        gt_as_predictions(dataset, jitter=0.3))
    assert coco == voc


def test_metric_fails_early():
    with pytest.raises(Exception, match=r'Split file not found'):
        VOCCocoMetric(data_root=SAMPLE, ann_file='ImageSets/Main/val.txt')
    metric = VOCCocoMetric(
        data_root=SAMPLE, ann_file='ImageSets/Main/test.txt')
    with pytest.raises(RuntimeError, match=r'metric.dataset_meta = '):
        metric.process({}, [])


def test_metric_reports_zero_ap_when_nothing_is_detected():
    ds = SARAircraftDataset(
        data_root=SAMPLE + '/', ann_file='ImageSets/Main/test.txt',
        test_mode=True, pipeline=[])
    metric = VOCCocoMetric(data_root=SAMPLE, ann_file='ImageSets/Main/test.txt')
    metric.dataset_meta = ds.metainfo
    samples = []
    for info in ds:
        samples.append(dict(
            img_id=info['img_id'], ori_shape=(info['height'], info['width']),
            pred_instances=dict(bboxes=torch.zeros(0, 4),
                                scores=torch.zeros(0),
                                labels=torch.zeros(0, dtype=torch.long))))
    metric.process({}, samples)
    out = metric.evaluate(len(samples))
    assert out['coco/bbox_mAP'] == 0.0 and out['coco/bbox_mAP_50'] == 0.0
    assert np.isfinite(out['coco/bbox_mAP_75'])
