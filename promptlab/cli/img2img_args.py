"""`promptlab generate --init-image`: img2img flags and how they fill GenerationParams."""

from __future__ import annotations

import argparse

from promptlab.init_image import RESIZE_SLUGS


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--init-image", metavar="PATH",
                   help="img2img: start from this image (PNG/JPEG/WebP); --denoise sets how much changes "
                   "(default 0.75); without --width/--height the image's size, rounded down to a multiple of 8")
    p.add_argument("--resize-mode", choices=RESIZE_SLUGS, default=None,
                   help="img2img: how the image is fitted to --width x --height, as A1111: just-resize (default), "
                   "crop-and-resize, resize-and-fill, latent-upscale")
    p.add_argument("--img2img-exact-steps", action="store_true",
                   help="img2img: run exactly --steps (A1111's 'do exactly the amount of steps'); default: "
                   "int(denoise x steps) + 1 of a --steps schedule, as A1111")


def apply(params, args: argparse.Namespace):
    """``params`` with the init image of ``--init-image`` (checked before any model loads)."""
    from promptlab.errors import InvalidInputError
    from promptlab.init_image import InitImage, size_from_image

    if not args.init_image:
        if args.resize_mode or args.img2img_exact_steps:
            raise InvalidInputError("--resize-mode and --img2img-exact-steps need --init-image PATH.")
        return params
    init = InitImage.from_path(args.init_image, resize_mode=args.resize_mode or "just-resize",
                               exact_steps=args.img2img_exact_steps)
    changes: dict = {"init_image": init}
    if args.width is None and args.height is None and not args.from_image:
        changes["width"], changes["height"] = size_from_image(init.width, init.height)
    return params.with_(**changes)
