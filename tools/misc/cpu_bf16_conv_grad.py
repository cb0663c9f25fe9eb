"""Show torch's CPU bf16 weight gradient of a 3x3 stride-2 conv on a 1x1
map (RetinaNet's P7 conv at small inputs) against fp32.

The error is at bf16 precision (~4e-3 relative) for 2x2 and larger maps,
and garbage (up to inf) for a 1x1 map, differently on every call: an
upstream kernel defect, not ifkd's. ``tests/test_tools/test_ifkd_amp.py``
excludes that one conv from its bf16 finiteness check for this reason.

    python tools/misc/cpu_bf16_conv_grad.py
"""
import torch


def worst_error(size: int, threads: int, trials: int = 30) -> float:
    """Largest relative error of the bf16 weight gradient over trials."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(256, 256, 3, stride=2, padding=1)
    x = torch.randn(2, 256, size, size)
    grad = torch.randn(2, 256, (size + 1) // 2, (size + 1) // 2)
    conv(x).backward(grad)
    ref = conv.weight.grad.clone()
    worst = 0.
    for _ in range(trials):
        conv.zero_grad()
        with torch.autocast('cpu', dtype=torch.bfloat16):
            out = conv(x.bfloat16())
        out.backward(grad.bfloat16())
        err = (conv.weight.grad - ref).abs().max() / ref.abs().max()
        worst = max(worst, err.item())
    return worst


if __name__ == '__main__':
    print(f'torch {torch.__version__}')
    for size in (1, 2, 4, 8):
        errors = ', '.join(f'{t} thread(s): {worst_error(size, t):.3g}'
                           for t in (1, 2))
        print(f'{size}x{size} map -> relative error {errors}')
