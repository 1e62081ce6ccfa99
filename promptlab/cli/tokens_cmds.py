"""`promptlab tokens`: CLIP token counts and A1111's 75-token chunks of a prompt."""

from __future__ import annotations

import argparse

from promptlab.cli.io import print_json, read_text_arg

EMPHASIS_CHOICES = ("Original", "No norm", "Ignore", "None", "comfy")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "tokens",
        help="CLIP token count and A1111's 75-token chunks of a prompt",
        description="Tokenize a prompt with Stable Diffusion's CLIP tokenizer (offline) and split it into "
        "A1111's 75-token chunks: comma backtrack, BREAK, prompt editing and AND expanded for --steps. "
        "The first line is A1111's counter (e.g. 94/150); then each chunk with its count and text.",
    )
    p.add_argument("text", metavar="TEXT", help="the prompt, or - to read stdin")
    p.add_argument("--json", action="store_true", help="print the chunks as JSON (shape in the README)")
    p.add_argument("--backtrack", type=int, default=20, metavar="N",
                   help="A1111's 'Prompt word wrap length limit': move the words after the last comma to the "
                   "next chunk when the comma is within N tokens of the end (0 = off, max 74; default 20)")
    p.add_argument("--steps", type=int, default=20, help="sampling steps for [a:b:when] and [a|b] (default 20)")
    p.add_argument("--negative", action="store_true", help="count as a negative prompt (no AND split)")
    p.add_argument("--emphasis", default="Original", choices=EMPHASIS_CHOICES,
                   help="A1111's emphasis mode; 'None' reads brackets as literal text (default Original)")
    p.add_argument("--embeddings", metavar="DIR", default=None,
                   help="textual-inversion folder: names found in the prompt count their vectors, as in A1111 "
                   "(default: models/embeddings when it exists; 'none' to ignore embeddings)")
    p.add_argument("--model-type", default="sd1", choices=("sd1", "sd2", "sdxl"),
                   help="tokenize as this model's text encoder(s) do in A1111: sd1 = CLIP-L, sd2 = OpenCLIP-H, "
                   "sdxl = both CLIP-L and OpenCLIP-G (OpenCLIP also unescapes HTML entities such as &amp;); "
                   "when the encoders see different tokens each one's chunks are printed (default sd1)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from promptlab import tokens

    text = read_text_arg(args.text)
    embeddings, skipped = _embeddings(args.embeddings)
    per_encoder = tokens.count_tokens_per_encoder(
        text,
        model_type=args.model_type,
        steps=args.steps,
        negative=args.negative,
        comma_backtrack=args.backtrack,
        emphasis=args.emphasis,
        embeddings=embeddings,
    )
    result = per_encoder[0].tokens  # A1111's counter shows the first encoder's count
    agree = tokens.encoders_agree(per_encoder)
    if args.json:
        print_json({
            "comma_backtrack": args.backtrack,
            "emphasis": tokens.Emphasis.parse(args.emphasis).value,
            "steps": args.steps,
            "embeddings": len(embeddings),
            "skipped_embeddings": [{"file": f, "reason": r} for f, r in skipped],
            **tokens.prompt_tokens_to_dict(result),
            "model_type": args.model_type,
            "encoders_agree": agree,
            "encoders": [
                {"encoder": e.encoder, "normalization": e.normalization, "total": e.tokens.total,
                 "target": e.tokens.target, "counter": e.tokens.counter,
                 **({} if agree else {"variants": tokens.prompt_tokens_to_dict(e.tokens)["variants"]})}
                for e in per_encoder
            ],
        })
        return 0
    if agree:
        _print_counts(result)
        return 0
    print(f"{result.counter} tokens ({per_encoder[0].encoder}); the encoders see different tokens: "
          + ", ".join(f"{e.encoder} {e.tokens.counter}" for e in per_encoder))
    for encoder in per_encoder:
        print(f"\n{encoder.encoder} ({encoder.tokens.counter}):")
        _print_counts(encoder.tokens, header=False)
    return 0


def _print_counts(result, *, header: bool = True) -> None:
    from promptlab import tokens

    if header:
        print(f"{result.counter} tokens")
    for warning in result.warnings:
        print(f"warning: {warning}")
    several = len(result.variants) > 1
    for variant in result.variants:
        indent = "  " if several else ""
        if several:
            print(f"\n{_variant_label(variant)}  {variant.report.counter}")
        for index, chunk in enumerate(variant.report.chunks):
            print(f"{indent}chunk {index + 1}  {chunk.count:>2}/75  {tokens.chunk_text(chunk)}")


def _embeddings(option: str | None) -> tuple[dict[str, int], tuple[tuple[str, str], ...]]:
    from pathlib import Path

    from promptlab.backend.embeddings import embedding_vector_counts
    from promptlab.paths import model_dir

    if option is not None and option.lower() == "none":
        return {}, ()
    folder = Path(option) if option is not None else model_dir("embeddings")
    if option is None and not folder.is_dir():
        return {}, ()
    return embedding_vector_counts(folder)


def _variant_label(variant) -> str:
    label = f"AND part {variant.part + 1}" if variant.part else "prompt"
    ends = [str(e) for e in variant.end_steps]
    shown = ", ".join(ends[:6]) + (f", ... ({len(ends)} entries)" if len(ends) > 6 else "")
    return f"{label}, until step {shown}: {variant.text.strip()!r}"
