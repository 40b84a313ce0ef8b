"""`python app.py` (or `make synth`, `npx aws-cdk@2 synth|deploy`): synthesizes the stack into cdk.out/."""

from __future__ import annotations

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from infra.app import build_app  # the variable above must be set before jsii starts

if __name__ == "__main__":
    # The cdk CLI passes CDK_OUTDIR; run directly, CDK would otherwise write to a temporary folder.
    app, _stack = build_app(outdir=os.environ.get("CDK_OUTDIR", "cdk.out"))
    app.synth()
