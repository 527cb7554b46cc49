"""The smallest image a network takes: the side of its last feature map for an input side,
and the error that names the size argument and the smallest side that works."""


def alexnet_side(side, kernel_sizes, strides, pools, padding):
    """The side of the AlexNet-shaped network's last feature map for an input ``side``."""
    for kernel, stride, pool, pad in zip(kernel_sizes, strides, pools, padding, strict=True):
        side = -(-side // stride) if pad == "same" else (side - kernel) // stride + 1
        if side < 1:
            return 0
        if pool:
            side = (side - 3) // 2 + 1
            if side < 1:
                return 0
    return side


def pooled_side(side, stages):
    """The side after ``stages - 1`` 2 x 2 poolings (cpu_convnet)."""
    for _ in range(stages - 1):
        side //= 2
    return side


def check_image_side(shape_or_side, size_name, network, final_side):
    """Raises a clear error naming ``size_name`` where an image side leaves the network's
    last feature map empty (``final_side(side) < 1``), with the smallest side that works."""
    if isinstance(shape_or_side, int):
        sides, shown = [shape_or_side], shape_or_side
    else:
        shown = tuple(shape_or_side)
        if len(shown) != 3:
            raise ValueError(
                f"`{size_name}` must be (height, width, channels). Received: {size_name}={shown!r}"
            )
        sides = [s for s in shown[:2] if s is not None]
    if all(final_side(s) >= 1 for s in sides):
        return
    smallest = next(s for s in range(1, 100_000) if final_side(s) >= 1)
    raise ValueError(
        f"`{size_name}`={shown!r} is too small for {network}: its convolutions and poolings "
        f"need images of at least {smallest} x {smallest} pixels."
    )
