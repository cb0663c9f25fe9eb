"""Bad channel counts fail with a message that names the fix."""
import pytest
import torch

from ifkd.models.connectors import EDEConnector, FDRConnector


def test_fdr_rejects_wrong_channels():
    with pytest.raises(ValueError, match="in_channels to the teacher neck"):
        FDRConnector(in_channels=256)(torch.zeros(1, 128, 8, 8))


def test_ede_rejects_wrong_channels():
    ede = EDEConnector(in_channels=256)
    with pytest.raises(ValueError, match="in_channels to the teacher neck"):
        ede(torch.zeros(1, 128, 8, 8), sam_prob=torch.zeros(1, 256, 64, 64),
            sam_valid_hw=[(1024, 1024)], img_shapes=[(64, 64)],
            batch_input_shape=(64, 64))
