"""DisOptNet's SAR student (`Kang et al., TGRS 2022
<https://doi.org/10.1109/TGRS.2022.3165209>`_)."""
import copy
from typing import List, Tuple

from mmseg.models.segmentors import EncoderDecoder
from mmseg.utils import add_prefix
from torch import Tensor, nn

from ifkd.registry import MODELS


def backbone_stages(backbone: nn.Module) -> List[nn.Module]:
    """The stages of a backbone, one per output feature map: mmseg
    ``ResNet`` / ``ResNetV1c`` layers, or the block groups of a timm
    EfficientNet behind mmseg's ``TIMMBackbone``."""
    if hasattr(backbone, 'res_layers'):
        return [getattr(backbone, name) for name in backbone.res_layers]
    timm_model = getattr(backbone, 'timm_model', None)
    out_idx = getattr(timm_model, '_stage_out_idx', None)
    if out_idx is not None and hasattr(timm_model, 'blocks'):
        ends = sorted(out_idx)
        starts = [0] + ends[:-1]
        return [nn.Sequential(*timm_model.blocks[s:e])
                for s, e in zip(starts, ends)]
    raise TypeError(
        f'{type(backbone).__name__} has no known stages: DisOptNet supports '
        "mmseg's ResNet family and TIMMBackbone EfficientNets.")


def last_stages(backbone: nn.Module, num: int = 2) -> nn.ModuleList:
    """Copies, with their own weights, of the backbone's last ``num``
    stages (DisOptNet's distillation branch)."""
    stages = backbone_stages(backbone)
    if num >= len(stages):
        raise ValueError(f'The backbone has {len(stages)} stages; the '
                         f'branch cannot re-run the last {num}.')
    return nn.ModuleList(copy.deepcopy(s) for s in stages[-num:])


@MODELS.register_module()
class DisOptNet(EncoderDecoder):
    """The DisOptNet student: a SAR segmentor with an "optical-like"
    distillation branch and an scSE fusion head.

    * SAR branch: ``backbone`` (last stage dilated in the configs) and
      ``decode_head`` (DeepLabV3+), trained on the ground truth.
    * Distillation branch: copies (own weights) of the backbone's last
      ``branch_stages`` stages re-run on the SAR feature before them, and
      ``distill_head``; the distiller trains it on the optical teacher's
      outputs (pseudo labels, pixel KD) and features.
    * Fusion: ``fusion_head`` (``ifkd.SCSEFusionHead``) on both decoder
      features, trained on the ground truth; its prediction is the model's
      (``predict`` / ``tensor``), as the DisOptNet code validates.

    Both decode heads must expose ``decode_feature`` (``ifkd.DeepLabV3PlusHead``).

    Args:
        distill_head (dict): The distillation branch's decode head.
        fusion_head (dict): The fusion head.
        branch_stages (int): Stages the branch re-runs. Defaults to 2.
        **kwargs: See ``EncoderDecoder``.
    """

    def __init__(self,
                 distill_head: dict,
                 fusion_head: dict,
                 branch_stages: int = 2,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.branch = last_stages(self.backbone, branch_stages)
        self.distill_head = MODELS.build(distill_head)
        self.fusion_head = MODELS.build(fusion_head)
        for head in (self.decode_head, self.distill_head):
            if not hasattr(head, 'decode_feature'):
                raise TypeError(
                    f'{type(head).__name__} has no decode_feature(): use '
                    'ifkd.DeepLabV3PlusHead for DisOptNet decode heads.')

    def branch_features(self, feats: List[Tensor]) -> List[Tensor]:
        """The SAR maps up to the tap, then the branch's own stages."""
        tap = len(feats) - len(self.branch) - 1
        out, x = list(feats[:tap + 1]), feats[tap]
        for stage in self.branch:
            x = stage(x)
            out.append(x)
        return out

    def heads(self, inputs: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """Logits of the SAR, distillation and fusion heads."""
        feats = self.extract_feat(inputs)
        f_sar = self.decode_head.decode_feature(feats)
        f_opt = self.distill_head.decode_feature(self.branch_features(feats))
        return (self.decode_head.cls_seg(f_sar),
                self.distill_head.cls_seg(f_opt),
                self.fusion_head([f_sar, f_opt]))

    def loss(self, inputs: Tensor, data_samples) -> dict:
        """Ground-truth losses of the SAR and fusion heads; the branch's
        losses come from the distiller."""
        sar, _, fused = self.heads(inputs)
        losses = add_prefix(
            self.decode_head.loss_by_feat(sar, data_samples), 'decode')
        losses.update(
            add_prefix(self.fusion_head.loss_by_feat(fused, data_samples),
                       'fused'))
        return losses

    def encode_decode(self, inputs: Tensor, batch_img_metas: List[dict]
                      ) -> Tensor:
        fused = self.heads(inputs)[2]
        return self.fusion_head.predict_by_feat(fused, batch_img_metas)

    def _forward(self, inputs: Tensor, data_samples=None) -> Tensor:
        return self.heads(inputs)[2]
