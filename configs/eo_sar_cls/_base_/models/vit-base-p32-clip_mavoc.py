# ViT-B/32 initialised from CLIP (OpenAI) weights, the seed's backbone:
# mmpretrain's conversion of the CLIP image tower, fine-tuned on ImageNet
# (model zoo: vit-base-p32_clip-openai-pre_3rdparty_in1k). To start from
# the raw OpenAI CLIP weights instead, convert them with mmpretrain's
# tools/model_converters/openai-clip_to_mmpretrain-clip.py and set
# init_cfg.checkpoint to the converted file (prefix 'backbone' keeps the
# image tower only).
clip_ckpt = ('https://download.openmmlab.com/mmclassification/v0/clip/'
             'clip-vit-base-p32_openai-pre_3rdparty_in1k_20221220-'
             'a0182ba9.pth')
model = dict(
    type='ImageClassifier',
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor',
        num_classes=10,
        # CLIP's normalisation
        mean=[122.770938, 116.7460125, 104.09373615],
        std=[68.5005327, 66.6321579, 70.32316305],
        to_rgb=True),
    backbone=dict(
        type='VisionTransformer',
        arch='b',
        img_size=224,
        patch_size=32,
        pre_norm=True,  # CLIP's ln_pre
        drop_rate=0.1,
        init_cfg=dict(type='Pretrained', checkpoint=clip_ckpt,
                      prefix='backbone')),
    neck=None,
    head=dict(
        type='VisionTransformerClsHead',
        num_classes=10,
        in_channels=768,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))
